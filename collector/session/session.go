// Package session groups a visitor's events into sessions: a session ends
// after 30 minutes without an event. The state is in memory, within a
// byte budget, and rebuilt from the store at start so a restart does not
// split sessions.
package session

import (
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"github.com/dchest/siphash"

	"github.com/sillage-analytics/sillage"
)

// Timeout ends a session, as in Plausible and Google Analytics.
const Timeout = 30 * time.Minute

// Defaults of Config.
const (
	// DefaultMaxBytes holds about 100 000 live sessions of real traffic
	// (600-700 bytes each with their attributes): a day of some five
	// million visits at its peak hour. The heap holds up to twice the live
	// sessions between collections: a full budget adds about 130 MiB to
	// the process, which stays under 1 GiB with the embedded engine.
	DefaultMaxBytes = 64 << 20
	// DefaultPerNetwork is far more sessions than one address (or one
	// IPv6 /64) opens on one site in 30 minutes, even a carrier's NAT, and
	// far less than a flood of new user agents from it.
	DefaultPerNetwork = 1000
)

// Attrs are the session-level attributes, taken from its first event and
// copied onto every later one: the event's Visit.
type Attrs = sillage.Visit

// Session is the state of one visitor's current session.
type Session struct {
	ID    uint64
	Start time.Time
	Last  time.Time
	Attrs *Attrs
}

// Config bounds the tracker; zero values take the defaults.
type Config struct {
	// MaxBytes is the memory budget of the live sessions; past it the
	// least recently active are ended, sessions of a single event first.
	MaxBytes int64
	// PerNetwork caps the live sessions of one site from one network (an
	// IPv4 address or an IPv6 /64); past it the network's least recently
	// active are ended, again sessions of a single event first.
	PerNetwork int
}

// Eviction reasons, the indexes of Stats.Evicted.
const (
	EvictedBudget  = iota // the tracker's byte budget
	EvictedNetwork        // the per-network cap
)

// Stats describe the live sessions.
type Stats struct {
	Sessions int
	Bytes    int64     // charged against the budget
	Evicted  [2]uint64 // sessions ended before their time, by reason
}

type key struct {
	site    uint32
	visitor uint64
}

type groupKey struct {
	site    uint32
	network uint64
}

// Segments: a session of one event is probationary; its second event
// makes it established. A flood makes only probationary sessions, so
// evicting those first keeps real visits whole (the scan resistance of a
// segmented LRU).
const (
	probation = iota
	established
)

// Link slots of an entry: the tracker's list of its segment, and its
// network's.
const (
	inTracker = iota
	inGroup
)

type entry struct {
	k     key
	s     Session
	g     *group // nil: network unknown (a restored session)
	seg   uint8
	size  int32
	links [2]struct{ prev, next *entry }
}

// list is an intrusive list of entries through one of their link slots,
// least recently active first.
type list struct {
	head, tail *entry
	n          int
}

func (l *list) pushBack(e *entry, slot int) {
	e.links[slot].prev, e.links[slot].next = l.tail, nil
	if l.tail != nil {
		l.tail.links[slot].next = e
	} else {
		l.head = e
	}
	l.tail = e
	l.n++
}

// insertByLast puts e in Last order, searching from the back: restored
// sessions come in any order, and Expire relies on the order.
func (l *list) insertByLast(e *entry, slot int) {
	at := l.tail
	for at != nil && at.s.Last.After(e.s.Last) {
		at = at.links[slot].prev
	}
	if at == nil { // first
		e.links[slot].prev, e.links[slot].next = nil, l.head
		if l.head != nil {
			l.head.links[slot].prev = e
		} else {
			l.tail = e
		}
		l.head = e
		l.n++
		return
	}
	next := at.links[slot].next
	e.links[slot].prev, e.links[slot].next = at, next
	at.links[slot].next = e
	if next != nil {
		next.links[slot].prev = e
	} else {
		l.tail = e
	}
	l.n++
}

func (l *list) remove(e *entry, slot int) {
	ln := &e.links[slot]
	if ln.prev != nil {
		ln.prev.links[slot].next = ln.next
	} else {
		l.head = ln.next
	}
	if ln.next != nil {
		ln.next.links[slot].prev = ln.prev
	} else {
		l.tail = ln.prev
	}
	ln.prev, ln.next = nil, nil
	l.n--
}

// group is one site's sessions from one network.
type group struct {
	k    groupKey
	segs [2]list
}

func (g *group) len() int { return g.segs[probation].n + g.segs[established].n }

// Tracker holds the live sessions. One lock guards it: an event costs a
// map lookup and a few pointer moves under it, far below the rest of its
// path, and a single lock keeps the budget and the per-network caps exact.
type Tracker struct {
	maxBytes   int64
	perNetwork int
	netKey     [2]uint64 // random per process: network keys are never comparable across runs

	mu      sync.Mutex
	m       map[key]*entry
	groups  map[groupKey]*group
	segs    [2]list
	bytes   int64
	evicted [2]uint64
}

// NewTracker returns an empty tracker.
func NewTracker(cfg Config) *Tracker {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.PerNetwork <= 0 {
		cfg.PerNetwork = DefaultPerNetwork
	}
	return &Tracker{
		maxBytes: cfg.MaxBytes, perNetwork: cfg.PerNetwork,
		netKey: [2]uint64{randomUint64(), randomUint64()},
		m:      make(map[key]*entry), groups: make(map[groupKey]*group),
	}
}

// Network is the key of the client's network: its IPv4 address, or its
// IPv6 /64 (what one host can vary freely), as a keyed hash so the tracker
// never holds an address. 0 means unknown.
func (t *Tracker) Network(ip netip.Addr) uint64 {
	if !ip.IsValid() {
		return 0
	}
	ip = ip.Unmap()
	var b [9]byte
	n := 5
	if ip.Is4() {
		a := ip.As4()
		b[0] = 4
		copy(b[1:], a[:])
	} else {
		a := ip.As16()
		b[0] = 6
		copy(b[1:], a[:8])
		n = 9
	}
	return siphash.Hash(t.netKey[0], t.netKey[1], b[:n]) | 1
}

// Sizes charged against the budget, measured by TestBudgetBoundsMemory:
// the entry, its share of the map (a slot of key and pointer, at the
// map's load, doubled while it grows), and a group's own cost.
const (
	mapSlotBytes = 64
	entryBytes   = int64(unsafe.Sizeof(entry{})) + mapSlotBytes
	groupBytes   = int64(unsafe.Sizeof(group{})) + mapSlotBytes
	attrsBytes   = int64(unsafe.Sizeof(Attrs{}))
)

// size is what a session costs. Attributes shared by the sessions one
// event starts on several sites are charged to each: the budget errs on
// the safe side.
func size(a *Attrs) int32 {
	n := entryBytes
	if a != nil {
		n += attrsBytes
		for _, s := range [...]string{a.Referrer, a.ReferrerSource, a.Channel, a.UTMSource, a.UTMMedium, a.UTMCampaign,
			a.UTMTerm, a.UTMContent, a.ClickIDParam, a.CountryCode, a.Region, a.City,
			a.Browser, a.BrowserVersion, a.OS, a.OSVersion, a.Device} {
			if s != "" {
				n += int64(len(s)+15) &^ 15 // the allocator's size classes
			}
		}
	}
	return int32(min(n, 1<<30))
}

// Active reports whether the visitor has a session alive at now.
func (t *Tracker) Active(site uint32, visitor uint64, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[key{site, visitor}]
	return ok && now.Sub(e.s.Last) < Timeout
}

// Touch records an event at now from network (Network's key; 0 if
// unknown) and returns its session: the live one, or a new one whose
// attributes attrs() gives. extend=false attaches the event to a live
// session without keeping it alive (and never starts one).
func (t *Tracker) Touch(site uint32, visitor, network uint64, now time.Time, extend bool, attrs func() *Attrs) (Session, bool) {
	k := key{site, visitor}
	t.mu.Lock()
	if s, ok := t.continueLocked(k, network, now, extend); ok || !extend {
		t.mu.Unlock()
		return s, ok
	}
	t.mu.Unlock()

	// A new session: its attributes (URL, referrer, location) are worked
	// out outside the lock.
	a := attrs()
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.continueLocked(k, network, now, extend); ok { // another event of the visitor was quicker
		return s, ok
	}
	if old, ok := t.m[k]; ok { // ended by time, not yet expired
		t.removeLocked(old)
	}
	e := &entry{k: k, s: Session{ID: newID(), Start: now, Last: now, Attrs: a}, seg: probation, size: size(a)}
	t.addLocked(e, network, false)
	return e.s, true
}

// continueLocked returns the visitor's live session, if any, after
// recording the event on it.
func (t *Tracker) continueLocked(k key, network uint64, now time.Time, extend bool) (Session, bool) {
	e, ok := t.m[k]
	if !ok || now.Sub(e.s.Last) >= Timeout {
		return Session{}, false
	}
	if extend {
		if now.After(e.s.Last) {
			e.s.Last = now
		}
		// Most recently active, and established from its second event on.
		t.segs[e.seg].remove(e, inTracker)
		if e.g != nil {
			e.g.segs[e.seg].remove(e, inGroup)
		}
		e.seg = established
		t.segs[e.seg].pushBack(e, inTracker)
		if e.g != nil {
			e.g.segs[e.seg].pushBack(e, inGroup)
		}
		if e.g == nil && network != 0 { // a restored session learns its network
			t.joinLocked(e, network)
		}
	}
	return e.s, true
}

// addLocked tracks a new entry, then evicts what the caps and the budget
// ask for (never e itself, the event's session).
func (t *Tracker) addLocked(e *entry, network uint64, byLast bool) {
	t.m[e.k] = e
	t.bytes += int64(e.size)
	if byLast {
		t.segs[e.seg].insertByLast(e, inTracker)
	} else {
		t.segs[e.seg].pushBack(e, inTracker)
	}
	if network != 0 {
		t.joinLocked(e, network)
	}
	for t.bytes > t.maxBytes {
		v := victim(&t.segs, e, inTracker)
		if v == nil {
			break
		}
		t.removeLocked(v)
		t.evicted[EvictedBudget]++
	}
}

func (t *Tracker) joinLocked(e *entry, network uint64) {
	gk := groupKey{e.k.site, network}
	g := t.groups[gk]
	if g == nil {
		g = &group{k: gk}
		t.groups[gk] = g
		t.bytes += groupBytes
	}
	e.g = g
	g.segs[e.seg].pushBack(e, inGroup)
	for g.len() > t.perNetwork {
		v := victim(&g.segs, e, inGroup)
		if v == nil {
			break
		}
		t.removeLocked(v)
		t.evicted[EvictedNetwork]++
	}
}

// victim is the session to end first: the least recently active of a
// single event, else the least recently active; never keep.
func victim(segs *[2]list, keep *entry, slot int) *entry {
	for _, seg := range [...]int{probation, established} {
		for e := segs[seg].head; e != nil; e = e.links[slot].next {
			if e != keep {
				return e
			}
		}
	}
	return nil
}

func (t *Tracker) removeLocked(e *entry) {
	delete(t.m, e.k)
	t.bytes -= int64(e.size)
	t.segs[e.seg].remove(e, inTracker)
	if g := e.g; g != nil {
		g.segs[e.seg].remove(e, inGroup)
		if g.len() == 0 {
			delete(t.groups, g.k)
			t.bytes -= groupBytes
		}
		e.g = nil
	}
}

// Restore puts back a session read from the store, unless a newer one is
// already known; events counts its events other than engagement, so a
// session of two or more is kept before those of one.
func (t *Tracker) Restore(site uint32, visitor uint64, s Session, events uint64) {
	k := key{site, visitor}
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.m[k]; ok {
		if !cur.s.Last.Before(s.Last) {
			return
		}
		t.removeLocked(cur)
	}
	e := &entry{k: k, s: s, seg: probation, size: size(s.Attrs)}
	if events >= 2 {
		e.seg = established
	}
	t.addLocked(e, 0, true)
}

// Expire forgets sessions idle for longer than Timeout at now and returns
// how many are left. Each list is in order of last activity, so it stops
// at the first live session of each.
func (t *Tracker) Expire(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for seg := range t.segs {
		for e := t.segs[seg].head; e != nil && now.Sub(e.s.Last) >= Timeout; e = t.segs[seg].head {
			t.removeLocked(e)
		}
	}
	return len(t.m)
}

// Stats describe the live sessions now.
func (t *Tracker) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{Sessions: len(t.m), Bytes: t.bytes, Evicted: t.evicted}
}

func newID() uint64 { return randomUint64() | 1 }

func randomUint64() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:])
}
