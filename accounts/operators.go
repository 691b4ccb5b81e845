package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sillage-analytics/sillage/store"
)

// Operators run the instance: they change its settings, add sites (and
// give them an owner) and name other operators. Being an operator grants
// nothing on a site: an operator reads a site's stats only as a member of
// it, like anyone else (least privilege; see query/api/API.md).

// ErrLastOperator refuses to leave an instance without an operator.
var ErrLastOperator = errors.New("the instance needs at least one operator")

// IsOperator reports whether a live account is an operator.
func (s *Service) IsOperator(ctx context.Context, userID string) (bool, error) {
	var n uint64
	err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM operators FINAL
		WHERE deleted = 0 AND user_id = toUUIDOrZero({user:String})
		AND user_id IN (SELECT id FROM users FINAL WHERE deleted = 0)`,
		store.Params{"user": userID}, &n)
	if err != nil {
		return false, fmt.Errorf("check operator %s: %w", userID, err)
	}
	return n > 0, nil
}

// Operators lists the ids of the live accounts that are operators.
func (s *Service) Operators(ctx context.Context) ([]string, error) {
	rows, err := s.Engine.Query(ctx, `SELECT toString(user_id) FROM operators FINAL
		WHERE deleted = 0 AND user_id IN (SELECT id FROM users FINAL WHERE deleted = 0)
		ORDER BY user_id`, nil)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list operators: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	return out, nil
}

// SetOperator makes an account an operator (on) or takes the role away
// (off). Taking it from the last operator fails with ErrLastOperator.
func (s *Service) SetOperator(ctx context.Context, userID string, on bool) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.setOperator(ctx, userID, on)
}

func (s *Service) setOperator(ctx context.Context, userID string, on bool) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	is, err := s.IsOperator(ctx, u.ID)
	if err != nil {
		return err
	}
	if is == on {
		return nil
	}
	if !on {
		ops, err := s.Operators(ctx)
		if err != nil {
			return err
		}
		if len(ops) <= 1 {
			return ErrLastOperator
		}
	}
	err = s.Engine.Exec(ctx, `INSERT INTO operators (user_id, updated_at, deleted)
		VALUES ({user:UUID}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"user": u.ID, "now": s.stamp(), "del": !on})
	if err != nil {
		return fmt.Errorf("set operator %s to %v: %w", u.Email, on, err)
	}
	return nil
}

// InstanceSettings are the settings of the whole instance, changed by
// operators only.
type InstanceSettings struct {
	// MembersAddSites lets any account add sites (and own them); off by
	// default, when only operators add sites: on a shared instance, a
	// stranger could otherwise claim a domain before its real owner.
	MembersAddSites bool
}

const settingMembersAddSites = "members_add_sites"

// Instance reads the instance settings; a setting never written has its
// default.
func (s *Service) Instance(ctx context.Context) (InstanceSettings, error) {
	rows, err := s.Engine.Query(ctx, "SELECT name, value FROM instance_settings FINAL WHERE deleted = 0", nil)
	if err != nil {
		return InstanceSettings{}, fmt.Errorf("read instance settings: %w", err)
	}
	defer rows.Close()
	var out InstanceSettings
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return InstanceSettings{}, fmt.Errorf("read instance settings: %w", err)
		}
		if name == settingMembersAddSites {
			out.MembersAddSites, _ = strconv.ParseBool(value) // anything unreadable is the safe default, off
		}
	}
	if err := rows.Err(); err != nil {
		return InstanceSettings{}, fmt.Errorf("read instance settings: %w", err)
	}
	return out, nil
}

// SetInstance writes the instance settings.
func (s *Service) SetInstance(ctx context.Context, v InstanceSettings) error {
	err := s.Engine.Exec(ctx, `INSERT INTO instance_settings (name, value, updated_at, deleted)
		VALUES ({name:String}, {value:String}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"name": settingMembersAddSites, "value": strconv.FormatBool(v.MembersAddSites), "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("write instance settings: %w", err)
	}
	return nil
}

// CanAddSites reports whether an account may add sites: operators always,
// others when the instance allows it.
func (s *Service) CanAddSites(ctx context.Context, userID string) (bool, error) {
	op, err := s.IsOperator(ctx, userID)
	if err != nil || op {
		return op, err
	}
	inst, err := s.Instance(ctx)
	if err != nil {
		return false, err
	}
	return inst.MembersAddSites, nil
}
