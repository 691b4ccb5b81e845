package accounts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
)

func TestLoginSessions(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	if has, err := s.HasUsers(ctx); err != nil || has {
		t.Fatalf("HasUsers on an empty store = %v, %v", has, err)
	}
	u := mustUser(t, s, "claire@example.fr")
	if has, err := s.HasUsers(ctx); err != nil || !has {
		t.Fatalf("HasUsers = %v, %v", has, err)
	}

	token, expires, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 || !expires.Equal(c.Now().Add(accounts.SessionLifetime)) {
		t.Fatalf("token %q (%d chars), expires %v", token, len(token), expires)
	}
	other, _, err := s.CreateSession(ctx, u.ID)
	if err != nil || other == token {
		t.Fatalf("second session %q, %v", other, err)
	}
	// Only the hash is stored.
	var stored string
	if err := store.QueryRow(ctx, s.Engine, "SELECT token_hash FROM auth_sessions FINAL ORDER BY updated_at LIMIT 1", nil, &stored); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if stored != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %q, want the token's SHA-256", stored)
	}
	if _, _, err := s.CreateSession(ctx, "00000000-0000-0000-0000-000000000009"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("session for an unknown user: %v", err)
	}

	check := func(name, token string, ok bool) {
		t.Helper()
		got, err := s.UserBySession(ctx, token)
		if ok && (err != nil || got.ID != u.ID || got.Email != u.Email) {
			t.Fatalf("%s: UserBySession = %+v, %v", name, got, err)
		}
		if !ok && !errors.Is(err, accounts.ErrNotFound) {
			t.Fatalf("%s: want ErrNotFound, got %+v, %v", name, got, err)
		}
	}
	check("valid", token, true)
	check("empty", "", false)
	check("wrong", token[:42]+otherChar(token[42]), false)
	check("hash as token", stored, false)
	check("huge", string(make([]byte, 10_000)), false)

	if err := s.DeleteSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	check("logged out", token, false)
	check("other session survives a logout", other, true)
	if err := s.DeleteSession(ctx, "unknown"); err != nil {
		t.Fatalf("deleting an unknown session: %v", err)
	}

	c.Advance(accounts.SessionLifetime - time.Second)
	check("just before expiry", other, true)
	c.Advance(time.Second)
	check("expired", other, false)
}

// otherChar returns a one-character string different from c, so a changed
// token never equals the original whatever its last character.
func otherChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	u := mustUser(t, s, "claire@example.fr")
	token, _, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, current, next string
		want                error
	}{
		{"wrong current", "not my password", "brand new password", accounts.ErrBadCredentials},
		{"too short", "long enough password", "short", accounts.ErrInvalid},
		{"unknown user", "", "", accounts.ErrNotFound},
		{"ok", "long enough password", "brand new password", nil},
	}
	for _, tt := range tests {
		id := u.ID
		if tt.name == "unknown user" {
			id = "not-a-uuid"
		}
		err := s.ChangePassword(ctx, id, tt.current, tt.next)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Fatalf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if tt.want != nil {
			if _, err := s.UserBySession(ctx, token); err != nil {
				t.Fatalf("%s: a failed change logged the user out: %v", tt.name, err)
			}
		}
	}
	if _, err := s.Authenticate(ctx, u.Email, "long enough password"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
	got, err := s.Authenticate(ctx, u.Email, "brand new password")
	if err != nil || got.ID != u.ID || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("new password: %+v, %v", got, err)
	}
	if _, err := s.UserBySession(ctx, token); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("sessions survive a password change: %v", err)
	}
}

// A logout by a query process whose clock is behind the one that created
// the session still ends it: the tombstone is newer than the row it hides.
func TestLogoutFromASlowerClock(t *testing.T) {
	ctx := context.Background()
	s, c := newService(t)
	u := mustUser(t, s, "claire@example.fr")
	token, _, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	behind := &accounts.Service{Engine: s.Engine, Now: func() time.Time { return c.Now().Add(-2 * time.Millisecond) }}
	if err := behind.DeleteSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserBySession(ctx, token); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("logged out from a clock 2 ms behind: UserBySession = %v, want ErrNotFound", err)
	}
}
