// Package session groups a visitor's events into sessions: a session ends
// after 30 minutes without an event. The state is in memory, sharded by
// visitor, and rebuilt from the store at start so a restart does not split
// sessions.
package session

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Timeout ends a session, as in Plausible and Google Analytics.
const Timeout = 30 * time.Minute

// Attrs are the session-level attributes, taken from its first event and
// copied onto every later one.
type Attrs struct {
	Referrer, ReferrerSource, Channel                      string
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent string
	ClickIDParam                                           string
	CountryCode, Region, City                              string
	CityGeonameID                                          uint32
	Browser, BrowserVersion, OS, OSVersion, Device         string
}

// Session is the state of one visitor's current session.
type Session struct {
	ID    uint64
	Start time.Time
	Last  time.Time
	Attrs *Attrs
}

type key struct {
	site    uint32
	visitor uint64
}

const shards = 64

// Tracker holds the live sessions.
type Tracker struct {
	shards [shards]shard
}

type shard struct {
	mu sync.Mutex
	m  map[key]*Session
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	t := &Tracker{}
	for i := range t.shards {
		t.shards[i].m = make(map[key]*Session)
	}
	return t
}

func (t *Tracker) shard(k key) *shard {
	return &t.shards[(k.visitor^uint64(k.site))%shards]
}

// Active reports whether the visitor has a session alive at now.
func (t *Tracker) Active(site uint32, visitor uint64, now time.Time) bool {
	k := key{site, visitor}
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s, ok := sh.m[k]
	return ok && now.Sub(s.Last) < Timeout
}

// Touch records an event at now and returns its session: the live one, or
// a new one whose attributes attrs() gives. extend=false attaches the event
// to a live session without keeping it alive (and never starts one).
func (t *Tracker) Touch(site uint32, visitor uint64, now time.Time, extend bool, attrs func() *Attrs) (Session, bool) {
	k := key{site, visitor}
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s, ok := sh.m[k]
	if ok && now.Sub(s.Last) < Timeout {
		if extend && now.After(s.Last) {
			s.Last = now
		}
		return *s, true
	}
	if !extend {
		return Session{}, false
	}
	s = &Session{ID: newID(), Start: now, Last: now, Attrs: attrs()}
	sh.m[k] = s
	return *s, true
}

// Restore puts back a session read from the store, unless a newer one is
// already known.
func (t *Tracker) Restore(site uint32, visitor uint64, s Session) {
	k := key{site, visitor}
	sh := t.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if cur, ok := sh.m[k]; ok && !cur.Last.Before(s.Last) {
		return
	}
	sh.m[k] = &s
}

// Expire forgets sessions idle for longer than Timeout at now and returns
// how many are left.
func (t *Tracker) Expire(now time.Time) int {
	left := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, s := range sh.m {
			if now.Sub(s.Last) >= Timeout {
				delete(sh.m, k)
			}
		}
		left += len(sh.m)
		sh.mu.Unlock()
	}
	return left
}

func newID() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:]) | 1
}
