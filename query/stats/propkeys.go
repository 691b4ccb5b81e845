package stats

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sillage-analytics/sillage"
)

// MaxPropKeys bounds the property names PropKeys lists.
const MaxPropKeys = 100

// PropKey is a custom property name with how much the range used it.
type PropKey struct {
	Key      string `json:"key"`
	Visitors uint64 `json:"visitors"`
	Events   uint64 `json:"events"`
}

// PropKeys lists the custom property names that the query's range and
// filters carry, most used first (by visitors, then events, then name):
// the keys come from the data, not from a configuration. Engagement
// events, which repeat their page's properties, are left out as the
// breakdowns leave them out; imported history has no property names.
func (e *Engine) PropKeys(ctx context.Context, site sillage.Site, goals []Goal, q *Query, limit int) ([]PropKey, error) {
	if err := q.checkExpanded(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxPropKeys {
		limit = MaxPropKeys
	}
	loc, _, sp, err := e.resolve(ctx, site, q)
	if err != nil {
		return nil, err
	}
	p := &plan{siteID: site.ID, tz: loc.String(), loc: loc, span: sp, filters: q.Filters, goals: goals, uniq: "uniqExact"}
	b := newBuilder(p)
	rows, err := e.store().Query(ctx, b.propKeyCounts(limit, e.limits()), b.params)
	if err != nil {
		return nil, fmt.Errorf("stats: property names: %w", err)
	}
	defer rows.Close()
	out := []PropKey{}
	for rows.Next() {
		var k PropKey
		if err := rows.Scan(&k.Key, &k.Visitors, &k.Events); err != nil {
			return nil, fmt.Errorf("stats: property names: %w", err)
		}
		// A name no breakdown could take is not offered.
		if validDimension(propPrefix + k.Key) {
			out = append(out, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats: property names: %w", err)
	}
	return out, nil
}

// propKeyCounts counts the visitors and events of each property name in
// range, most used first.
func (b *builder) propKeyCounts(limit int, lim limits) string {
	return "SELECT k, toUInt64(uniqExact(visitor_id)) AS visitors, toUInt64(count()) AS events FROM events ARRAY JOIN mapKeys(props) AS k WHERE " +
		b.eventsRange() + " AND " + notEngagement + " AND " + b.where(b.p.filters, ctxEvents) +
		" GROUP BY k ORDER BY visitors DESC, events DESC, k LIMIT " + strconv.Itoa(limit) + settings(lim)
}
