package accounts_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store"
)

func TestSharedLinks(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, _ := s.AddSite(ctx, "primeur.fr", "")
	open, err := s.AddSharedLink(ctx, site.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	locked, err := s.AddSharedLink(ctx, site.ID, "Presse", "mot de passe secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSharedLink(ctx, site.ID, "x", "court"); !errors.Is(err, accounts.ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := s.AddSharedLink(ctx, 4242, "x", ""); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("unknown site: %v", err)
	}
	slug := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	if !slug.MatchString(open.Slug) || open.Slug == locked.Slug || open.Name != "Shared link" {
		t.Fatalf("links %+v %+v", open, locked)
	}
	tests := []struct {
		slug, password string
		found, opens   bool
	}{
		{open.Slug, "", true, true},
		{open.Slug, "anything", true, true},
		{locked.Slug, "mot de passe secret", true, true},
		{locked.Slug, "", true, false},
		{locked.Slug, "mot de passe Secret", true, false},
		{"nope", "", false, false},
		{otherCase(open.Slug), "", false, false},
	}
	for _, tt := range tests {
		l, err := s.SharedLinkBySlug(ctx, tt.slug)
		if !tt.found {
			if !errors.Is(err, accounts.ErrNotFound) {
				t.Errorf("%s: want ErrNotFound, got %v", tt.slug, err)
			}
			continue
		}
		if err != nil || l.SiteID != site.ID {
			t.Fatalf("%s: %+v, %v", tt.slug, l, err)
		}
		if got := l.CheckPassword(tt.password); got != tt.opens {
			t.Errorf("%s with %q opens = %v, want %v", tt.slug, tt.password, got, tt.opens)
		}
	}
	if l, _ := s.SharedLinkBySlug(ctx, locked.Slug); !l.HasPassword() {
		t.Fatal("HasPassword = false for a protected link")
	}
	var hash string
	if err := store.QueryRow(ctx, s.Engine, "SELECT password_hash FROM shared_links FINAL WHERE slug = {s:String}",
		store.Params{"s": locked.Slug}, &hash); err != nil || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("stored password %q, %v", hash, err)
	}

	links, err := s.SharedLinks(ctx, site.ID)
	if err != nil || len(links) != 2 || links[0].Name != "Presse" {
		t.Fatalf("links = %+v, %v", links, err)
	}
	other, _ := s.AddSite(ctx, "autre.fr", "")
	if err := s.DeleteSharedLink(ctx, other.ID, open.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("delete through another site: %v", err)
	}
	if err := s.DeleteSharedLink(ctx, site.ID, open.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SharedLinkBySlug(ctx, open.Slug); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("deleted link still opens: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	u, other := mustUser(t, s, "dev@example.fr"), mustUser(t, s, "other@example.fr")
	a, _ := s.AddSiteWithOwner(ctx, u.ID, "a.fr", "")
	b, _ := s.AddSiteWithOwner(ctx, u.ID, "b.fr", "")

	key, secret, err := s.CreateAPIKey(ctx, u.ID, " CI export ", []uint32{b.ID, a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sk_live_[a-z2-7]{52}$`).MatchString(secret) {
		t.Fatalf("secret %q", secret)
	}
	want := []uint32{a.ID, b.ID}
	slices.Sort(want)
	if key.Name != "CI export" || key.Prefix != secret[:12] || !slices.Equal(key.SiteIDs, want) || key.UserID != u.ID {
		t.Fatalf("key = %+v", key)
	}
	var stored uint64
	if err := store.QueryRow(ctx, s.Engine, "SELECT countIf(position(key_hash, {p:String}) > 0 OR key_hash = {s:String}) FROM api_keys",
		store.Params{"p": secret[8:], "s": secret}, &stored); err != nil || stored != 0 {
		t.Fatalf("the secret is stored: %d, %v", stored, err)
	}

	invalid := []struct {
		name  string
		user  string
		kname string
		sites []uint32
		err   error
	}{
		{"no sites", u.ID, "x", nil, accounts.ErrInvalid},
		{"no name", u.ID, " ", []uint32{a.ID}, accounts.ErrInvalid},
		{"unknown user", "00000000-0000-0000-0000-000000000009", "x", []uint32{a.ID}, accounts.ErrNotFound},
	}
	for _, tt := range invalid {
		if _, _, err := s.CreateAPIKey(ctx, tt.user, tt.kname, tt.sites); !errors.Is(err, tt.err) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.err)
		}
	}

	lookups := []struct {
		name, token string
		ok          bool
	}{
		{"valid", secret, true},
		{"one character off", secret[:len(secret)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(secret, "a")], false},
		{"without prefix", secret[8:], false},
		{"prefix only", key.Prefix, false},
		{"empty", "", false},
	}
	for _, tt := range lookups {
		got, err := s.KeyByToken(ctx, tt.token)
		if tt.ok && (err != nil || got.ID != key.ID || !slices.Equal(got.SiteIDs, want)) {
			t.Fatalf("%s: KeyByToken = %+v, %v", tt.name, got, err)
		}
		if !tt.ok && !errors.Is(err, accounts.ErrBadKey) {
			t.Fatalf("%s: want ErrBadKey, got %+v, %v", tt.name, got, err)
		}
	}

	second, _, err := s.CreateAPIKey(ctx, u.ID, "second", []uint32{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := s.APIKeys(ctx, u.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	if keys, _ := s.APIKeys(ctx, other.ID); len(keys) != 0 {
		t.Fatalf("another user sees %+v", keys)
	}
	if err := s.RevokeAPIKey(ctx, other.ID, key.ID); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("revoking someone else's key: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, u.ID, "junk"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("malformed id: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, u.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByToken(ctx, secret); !errors.Is(err, accounts.ErrBadKey) {
		t.Fatalf("revoked key still works: %v", err)
	}
	if keys, _ := s.APIKeys(ctx, u.ID); len(keys) != 1 || keys[0].ID != second.ID {
		t.Fatalf("keys after revoke = %+v", keys)
	}
}

// otherCase flips the case of the first letter of s, so the result differs
// from s (slugs are random; one may hold no lowercase letter).
func otherCase(s string) string {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z':
			return s[:i] + string(c-32) + s[i+1:]
		case 'A' <= c && c <= 'Z':
			return s[:i] + string(c+32) + s[i+1:]
		}
	}
	panic("otherCase: no ASCII letter in " + s)
}

// An account has at most MaxAPIKeys live keys and a site MaxSharedLinks
// links: each is a caller of the stats lane, so unlimited ones would be an
// unlimited share of it. Revoking one makes room again; another account or
// site has its own allowance.
func TestKeyAndLinkCaps(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	site, err := s.AddSite(ctx, "primeur.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddSite(ctx, "fromager.fr", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.AddUser(ctx, "claire@primeur.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.AddUser(ctx, "paul@primeur.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	var first accounts.APIKey
	for i := range accounts.MaxAPIKeys {
		k, _, err := s.CreateAPIKey(ctx, u.ID, "key", []uint32{site.ID})
		if err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
		if i == 0 {
			first = k
		}
	}
	_, _, err = s.CreateAPIKey(ctx, u.ID, "one too many", []uint32{site.ID})
	if !errors.Is(err, accounts.ErrInvalid) || !strings.Contains(err.Error(), "revoke") {
		t.Fatalf("key past the cap: %v, want ErrInvalid saying to revoke one", err)
	}
	if _, _, err := s.CreateAPIKey(ctx, v.ID, "another account", []uint32{site.ID}); err != nil {
		t.Fatalf("another account's key: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, u.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateAPIKey(ctx, u.ID, "after a revocation", []uint32{site.ID}); err != nil {
		t.Fatalf("key after a revocation: %v", err)
	}

	var firstLink accounts.SharedLink
	for i := range accounts.MaxSharedLinks {
		l, err := s.AddSharedLink(ctx, site.ID, "link", "")
		if err != nil {
			t.Fatalf("link %d: %v", i+1, err)
		}
		if i == 0 {
			firstLink = l
		}
	}
	_, err = s.AddSharedLink(ctx, site.ID, "one too many", "")
	if !errors.Is(err, accounts.ErrInvalid) || !strings.Contains(err.Error(), "delete") {
		t.Fatalf("link past the cap: %v, want ErrInvalid saying to delete one", err)
	}
	if _, err := s.AddSharedLink(ctx, other.ID, "another site", ""); err != nil {
		t.Fatalf("another site's link: %v", err)
	}
	if err := s.DeleteSharedLink(ctx, site.ID, firstLink.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSharedLink(ctx, site.ID, "after a deletion", ""); err != nil {
		t.Fatalf("link after a deletion: %v", err)
	}
}
