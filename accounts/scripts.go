package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/sillage-analytics/sillage/store"
)

// ScriptFeatures are the tracker's features a site's own script may carry
// (tracker-js/src/features.js names them; plausible.init's is left out: a
// site's script has its settings baked in).
var ScriptFeatures = []string{"hash", "outbound", "downloads", "forms", "tagged", "revenue", "engagement", "notfound", "props", "retry"}

// DefaultScriptFeatures are those of a site whose owner ticked nothing yet:
// what Plausible's scripts carry besides pageviews, and sending again an
// event the server could not take.
var DefaultScriptFeatures = []string{"engagement", "retry"}

// SiteScript is a site's own tracker script, served at /js/s/<Token>.js.
type SiteScript struct {
	SiteID   uint32
	Domain   string // filled by SiteScriptByToken
	Token    string
	Features []string // sorted
}

// SiteScript returns a site's script settings, made (a new token, the
// default features) the first time they are read.
func (s *Service) SiteScript(ctx context.Context, siteID uint32) (SiteScript, error) {
	sc := SiteScript{SiteID: siteID}
	err := store.QueryRow(ctx, s.Engine, `SELECT token, features FROM site_scripts FINAL WHERE site_id = {site:UInt32}`,
		store.Params{"site": siteID}, &sc.Token, &sc.Features)
	if err == nil {
		return sc, nil
	}
	if !errors.Is(err, store.ErrNoRows) {
		return SiteScript{}, fmt.Errorf("read the script of site %d: %w", siteID, err)
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	// Read again under the lock: another request may have made it.
	err = store.QueryRow(ctx, s.Engine, `SELECT token, features FROM site_scripts FINAL WHERE site_id = {site:UInt32}`,
		store.Params{"site": siteID}, &sc.Token, &sc.Features)
	if err == nil {
		return sc, nil
	}
	if !errors.Is(err, store.ErrNoRows) {
		return SiteScript{}, fmt.Errorf("read the script of site %d: %w", siteID, err)
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return SiteScript{}, fmt.Errorf("script token: %w", err)
	}
	sc.Token = hex.EncodeToString(b)
	sc.Features = slices.Clone(DefaultScriptFeatures)
	slices.Sort(sc.Features)
	if err := s.writeSiteScript(ctx, sc); err != nil {
		return SiteScript{}, err
	}
	return sc, nil
}

// SetSiteScriptFeatures replaces the features of a site's script (ErrInvalid
// for one not in ScriptFeatures); its token, and so the snippet, stay.
func (s *Service) SetSiteScriptFeatures(ctx context.Context, siteID uint32, features []string) (SiteScript, error) {
	fs := []string{}
	for _, f := range features {
		if !slices.Contains(ScriptFeatures, f) {
			return SiteScript{}, invalidf("unknown tracker feature %q (one of %v)", f, ScriptFeatures)
		}
		if !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs)
	sc, err := s.SiteScript(ctx, siteID)
	if err != nil {
		return SiteScript{}, err
	}
	sc.Features = fs
	s.writes.Lock()
	defer s.writes.Unlock()
	if err := s.writeSiteScript(ctx, sc); err != nil {
		return SiteScript{}, err
	}
	return sc, nil
}

func (s *Service) writeSiteScript(ctx context.Context, sc SiteScript) error {
	err := s.Engine.Exec(ctx, `INSERT INTO site_scripts (site_id, token, features, updated_at)
		VALUES ({site:UInt32}, {token:String}, {features:Array(String)}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"site": sc.SiteID, "token": sc.Token, "features": sc.Features, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("save the script of site %d: %w", sc.SiteID, err)
	}
	return nil
}

// SiteScriptByToken finds the script of a live site by its token
// (ErrNotFound when none), with the site's domain.
func (s *Service) SiteScriptByToken(ctx context.Context, token string) (SiteScript, error) {
	sc := SiteScript{Token: token}
	err := store.QueryRow(ctx, s.Engine, `SELECT sc.site_id, si.domain, sc.features
		FROM (SELECT site_id, features FROM site_scripts FINAL WHERE token = {token:String}) AS sc
		INNER JOIN (SELECT id, domain FROM sites FINAL WHERE deleted = 0) AS si ON si.id = sc.site_id
		LIMIT 1`,
		store.Params{"token": token}, &sc.SiteID, &sc.Domain, &sc.Features)
	if errors.Is(err, store.ErrNoRows) {
		return SiteScript{}, fmt.Errorf("script %s: %w", token, ErrNotFound)
	}
	if err != nil {
		return SiteScript{}, fmt.Errorf("find script %s: %w", token, err)
	}
	return sc, nil
}

// SiteScriptSettings is SiteScriptByToken for the collector, which serves
// /js/s/<token>.js: found is false for no live site's token.
func (s *Service) SiteScriptSettings(ctx context.Context, token string) (domain string, features []string, found bool, err error) {
	sc, err := s.SiteScriptByToken(ctx, token)
	if errors.Is(err, ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return sc.Domain, sc.Features, true, nil
}
