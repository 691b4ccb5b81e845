// Package visitor computes cookieless visitor ids: a keyed 64-bit SipHash
// of the site, the client's IP address and its user agent, keyed by a random
// salt of the day. Salts are shared by every collector through the store and
// deleted two days after their day, after which an id can never be
// recomputed from an IP address and a user agent.
package visitor

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dchest/siphash"

	"github.com/sillage-analytics/sillage/store"
)

// SaltSize is the salt length: SipHash's 128-bit key.
const SaltSize = 16

// ID is the visitor id of a site's visitor under a salt.
func ID(salt *[SaltSize]byte, site uint32, ip, userAgent string) uint64 {
	k0 := binary.LittleEndian.Uint64(salt[:8])
	k1 := binary.LittleEndian.Uint64(salt[8:])
	var buf [512]byte
	b := binary.LittleEndian.AppendUint32(buf[:0], site)
	b = append(b, ip...)
	b = append(b, 0) // no IP ends where a user agent begins
	b = append(b, userAgent...)
	return siphash.Hash(k0, k1, b)
}

// Salts holds today's and yesterday's salts (UTC days).
type Salts struct {
	engine store.Engine
	now    func() time.Time
	log    *slog.Logger

	mu        sync.Mutex
	day       time.Time // day of today's salt
	today     *[SaltSize]byte
	yesterday *[SaltSize]byte // nil when unknown
	local     bool            // today's salt is a local candidate the store has not confirmed
	retryAt   time.Time       // when to ask the store again about a local salt
	rechecks  []time.Time     // when to read the day's earliest salt again
}

// recheckAfter are the times after a day's salt is loaded when it is read
// again: another collector's candidate, stamped earlier, may land after
// ours was read back (more so on a replicated cluster); the earliest
// candidate then wins on every collector.
var recheckAfter = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}

// retryEvery bounds how often an unavailable store is asked, so that an
// outage does not slow every event down.
const retryEvery = 30 * time.Second

// NewSalts returns salts read from, and shared through, the store.
func NewSalts(e store.Engine, now func() time.Time, log *slog.Logger) *Salts {
	return &Salts{engine: e, now: now, log: log}
}

// Current returns today's salt and yesterday's (nil when none exists). At
// the first call of a day it loads or creates the day's salt and deletes
// salts older than yesterday. If the store does not answer, a local salt
// keeps ids flowing and the store is asked again at the next call.
func (s *Salts) Current(ctx context.Context) (today, yesterday *[SaltSize]byte) {
	now := s.now().UTC()
	day := now.Truncate(24 * time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.today != nil && s.day.Equal(day) {
		switch {
		case !s.local:
			if len(s.rechecks) > 0 && !now.Before(s.rechecks[0]) {
				s.rechecks = s.rechecks[1:]
				if salt, err := s.read(ctx, day); err == nil && *salt != *s.today {
					s.log.Info("visitor salts: another collector's salt of the day is earlier; using it")
					s.today = salt
				}
			}
			return s.today, s.yesterday
		case now.Before(s.retryAt):
			return s.today, s.yesterday
		}
	}
	if !s.day.Equal(day) {
		if s.today != nil && s.day.Equal(day.AddDate(0, 0, -1)) {
			s.yesterday = s.today
		} else {
			s.yesterday = nil
		}
		s.today, s.day, s.local = nil, day, false
	}
	salt, err := s.load(ctx, day)
	if err != nil {
		if s.today == nil {
			s.today, s.local = randomSalt(), true
		}
		s.retryAt = now.Add(retryEvery)
		s.log.Warn("visitor salts: store unavailable, using a local salt for now", "error", err)
		return s.today, s.yesterday
	}
	s.today, s.local = salt, false
	s.rechecks = s.rechecks[:0]
	for _, d := range recheckAfter {
		s.rechecks = append(s.rechecks, now.Add(d))
	}
	if s.yesterday == nil {
		if y, err := s.read(ctx, day.AddDate(0, 0, -1)); err == nil {
			s.yesterday = y
		}
	}
	if err := s.engine.Exec(ctx, "DELETE FROM salts WHERE day < {d:Date}", store.Params{"d": day.AddDate(0, 0, -1).Format(time.DateOnly)}); err != nil {
		s.log.Warn("visitor salts: cannot delete old salts", "error", err)
	}
	return s.today, s.yesterday
}

// load returns the day's salt: the earliest candidate any collector stored,
// after storing ours in case there is none.
func (s *Salts) load(ctx context.Context, day time.Time) (*[SaltSize]byte, error) {
	if salt, err := s.read(ctx, day); err == nil {
		return salt, nil
	} else if !errors.Is(err, store.ErrNoRows) {
		return nil, err
	}
	candidate := s.today
	if candidate == nil {
		candidate = randomSalt()
	}
	err := s.engine.Exec(ctx, "INSERT INTO salts (day, salt, created_at) VALUES ({d:Date}, unhex({salt:String}), {now:DateTime64(6, 'UTC')})",
		store.Params{"d": day.Format(time.DateOnly), "salt": hex.EncodeToString(candidate[:]), "now": s.now()})
	if err != nil {
		return nil, fmt.Errorf("store salt: %w", err)
	}
	return s.read(ctx, day)
}

func (s *Salts) read(ctx context.Context, day time.Time) (*[SaltSize]byte, error) {
	var h string
	err := store.QueryRow(ctx, s.engine, "SELECT hex(salt) FROM salts WHERE day = {d:Date} ORDER BY created_at, salt LIMIT 1",
		store.Params{"d": day.Format(time.DateOnly)}, &h)
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != SaltSize {
		return nil, fmt.Errorf("salt of %s has %d bytes", day.Format(time.DateOnly), len(raw))
	}
	var salt [SaltSize]byte
	copy(salt[:], raw)
	return &salt, nil
}

func randomSalt() *[SaltSize]byte {
	var s [SaltSize]byte
	if _, err := rand.Read(s[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return &s
}
