package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sillage-analytics/sillage/store"
)

// APIKey lets a program read the stats of the sites in its scope, with its
// creator's rights on them. The secret itself is shown once at creation and
// only its SHA-256 is stored.
type APIKey struct {
	ID        string
	UserID    string
	Name      string
	Prefix    string // the first characters of the key, to recognise it
	SiteIDs   []uint32
	CreatedAt time.Time
}

const (
	// APIKeyPrefix starts every key, so secret scanners and people can tell
	// what it is.
	APIKeyPrefix = "sk_live_"
	// apiKeyShown is how much of a key stays visible in lists.
	apiKeyShown = len(APIKeyPrefix) + 4
	// MaxAPIKeys is how many live keys an account may have: each is a
	// caller of the stats lane, so a tenant may not make them at will.
	MaxAPIKeys   = 50
	maxKeySites  = 1000
	apiKeyLength = len(APIKeyPrefix) + 52 // 32 bytes in unpadded base32
)

// Lower-case base32 (a–z, 2–7): no characters that end a double-click
// selection or look alike.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// CreateAPIKey makes a key for a user, scoped to sites. It returns the key
// record and the secret, which cannot be recovered later.
func (s *Service) CreateAPIKey(ctx context.Context, userID, name string, siteIDs []uint32) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	if err := checkName("key name", name, maxNameLength); err != nil {
		return APIKey{}, "", err
	}
	ids := slices.Clone(siteIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 || len(ids) > maxKeySites {
		return APIKey{}, "", invalidf("a key is scoped to 1 to %d sites", maxKeySites)
	}
	if _, err := s.UserByID(ctx, userID); err != nil {
		return APIKey{}, "", err
	}
	// Two creations at once may both pass: the cap bounds a tenant's
	// share of the stats lane, which one key more does not change.
	var live uint64
	if err := store.QueryRow(ctx, s.Engine, `SELECT count() FROM api_keys FINAL
		WHERE deleted = 0 AND user_id = {user:UUID}`, store.Params{"user": userID}, &live); err != nil {
		return APIKey{}, "", fmt.Errorf("count API keys of user %s: %w", userID, err)
	}
	if live >= MaxAPIKeys {
		return APIKey{}, "", invalidf("an account has at most %d API keys: revoke one you no longer use first", MaxAPIKeys)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return APIKey{}, "", fmt.Errorf("read random key: %w", err)
	}
	secret := APIKeyPrefix + keyEncoding.EncodeToString(raw[:])
	now := s.stamp()
	k := APIKey{ID: uuid.NewString(), UserID: userID, Name: name, Prefix: secret[:apiKeyShown], SiteIDs: ids,
		CreatedAt: now.Truncate(time.Millisecond)}
	if err := s.writeAPIKey(ctx, k, tokenHash(secret), now, false); err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

func (s *Service) writeAPIKey(ctx context.Context, k APIKey, hash string, now time.Time, deleted bool) error {
	err := s.Engine.Exec(ctx, `INSERT INTO api_keys (id, user_id, name, prefix, key_hash, site_ids, created_at, updated_at, deleted)
		VALUES ({id:UUID}, {user:UUID}, {name:String}, {prefix:String}, {hash:String}, {sites:Array(UInt32)},
			{created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, {del:UInt8})`,
		store.Params{"id": k.ID, "user": k.UserID, "name": k.Name, "prefix": k.Prefix, "hash": hash,
			"sites": k.SiteIDs, "created": k.CreatedAt, "now": now, "del": deleted})
	if err != nil {
		return fmt.Errorf("write API key %s: %w", k.Prefix, err)
	}
	return nil
}

const apiKeyColumns = "toString(id), toString(user_id), name, prefix, site_ids, created_at, key_hash"

func scanAPIKeys(rows store.Rows) ([]APIKey, []string, error) {
	defer rows.Close()
	var keys []APIKey
	var hashes []string
	for rows.Next() {
		var k APIKey
		var h string
		if err := rows.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.SiteIDs, &k.CreatedAt, &h); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		hashes = append(hashes, h)
	}
	return keys, hashes, rows.Err()
}

// APIKeys lists a user's keys, newest first.
func (s *Service) APIKeys(ctx context.Context, userID string) ([]APIKey, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+apiKeyColumns+` FROM api_keys FINAL
		WHERE deleted = 0 AND user_id = {user:UUID} ORDER BY created_at DESC, id`, store.Params{"user": userID})
	if err != nil {
		return nil, fmt.Errorf("list API keys of user %s: %w", userID, err)
	}
	keys, _, err := scanAPIKeys(rows)
	if err != nil {
		return nil, fmt.Errorf("list API keys of user %s: %w", userID, err)
	}
	return keys, nil
}

// RevokeAPIKey deletes one of a user's keys; someone else's key is
// ErrNotFound.
func (s *Service) RevokeAPIKey(ctx context.Context, userID, id string) error {
	if validID(id) {
		rows, err := s.Engine.Query(ctx, "SELECT "+apiKeyColumns+` FROM api_keys FINAL
			WHERE deleted = 0 AND id = {id:UUID} AND user_id = {user:UUID}`, store.Params{"id": id, "user": userID})
		if err != nil {
			return fmt.Errorf("find API key %s: %w", id, err)
		}
		keys, hashes, err := scanAPIKeys(rows)
		if err != nil {
			return fmt.Errorf("find API key %s: %w", id, err)
		}
		if len(keys) == 1 {
			return s.writeAPIKey(ctx, keys[0], hashes[0], s.stamp(), true)
		}
	}
	return fmt.Errorf("API key %s: %w", id, ErrNotFound)
}

// RevokeUserAPIKeys deletes every key of a user and says how many there
// were.
func (s *Service) RevokeUserAPIKeys(ctx context.Context, userID string) (int, error) {
	rows, err := s.Engine.Query(ctx, "SELECT "+apiKeyColumns+` FROM api_keys FINAL
		WHERE deleted = 0 AND user_id = {user:UUID}`, store.Params{"user": userID})
	if err != nil {
		return 0, fmt.Errorf("list API keys of user %s: %w", userID, err)
	}
	keys, hashes, err := scanAPIKeys(rows)
	if err != nil {
		return 0, fmt.Errorf("list API keys of user %s: %w", userID, err)
	}
	now := s.stamp()
	for i, k := range keys {
		if err := s.writeAPIKey(ctx, k, hashes[i], now, true); err != nil {
			return i, fmt.Errorf("revoke API key %s: %w", k.ID, err)
		}
	}
	return len(keys), nil
}

// ErrBadKey is the one answer to a malformed, unknown or revoked key.
var ErrBadKey = errors.New("invalid API key")

// KeyByToken finds the key record of a secret. The store is searched by the
// secret's SHA-256, so response times say nothing about how close a guess
// was; the hash is compared again in constant time before trusting the row.
func (s *Service) KeyByToken(ctx context.Context, secret string) (APIKey, error) {
	if len(secret) != apiKeyLength || !strings.HasPrefix(secret, APIKeyPrefix) {
		return APIKey{}, ErrBadKey
	}
	want := tokenHash(secret)
	rows, err := s.Engine.Query(ctx, "SELECT "+apiKeyColumns+` FROM api_keys FINAL
		WHERE deleted = 0 AND key_hash = {hash:String}`, store.Params{"hash": want})
	if err != nil {
		return APIKey{}, fmt.Errorf("find API key: %w", err)
	}
	keys, hashes, err := scanAPIKeys(rows)
	if err != nil {
		return APIKey{}, fmt.Errorf("find API key: %w", err)
	}
	if len(keys) != 1 || subtle.ConstantTimeCompare([]byte(hashes[0]), []byte(want)) != 1 {
		return APIKey{}, ErrBadKey
	}
	return keys[0], nil
}
