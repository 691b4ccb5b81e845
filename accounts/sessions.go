package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/store"
)

// SessionLifetime is how long a dashboard login lasts.
const SessionLifetime = 30 * 24 * time.Hour

// randomToken returns n random bytes as unpadded base64url.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is what the store keeps of a secret token. A plain SHA-256 is
// enough: the tokens are 256 random bits, so there is nothing to guess,
// and a leaked table gives no usable token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// UserByID finds an account by id.
func (s *Service) UserByID(ctx context.Context, id string) (sillage.User, error) {
	u, _, err := s.userByIDWithHash(ctx, id)
	return u, err
}

func (s *Service) userByIDWithHash(ctx context.Context, id string) (sillage.User, string, error) {
	// toUUIDOrZero: a malformed id is simply unknown, not an engine error.
	return s.findUser(ctx, "id = toUUIDOrZero({key:String}) AND id != toUUID('00000000-0000-0000-0000-000000000000')", id, id)
}

// HasUsers reports whether any account exists, i.e. whether first-run
// setup is over.
func (s *Service) HasUsers(ctx context.Context) (bool, error) {
	var n uint64
	if err := store.QueryRow(ctx, s.Engine, "SELECT count() FROM users FINAL WHERE deleted = 0", nil, &n); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// CreateSession logs a user in: it returns a new random token for the
// session cookie and its expiry. Only the token's hash is stored.
func (s *Service) CreateSession(ctx context.Context, userID string) (token string, expires time.Time, err error) {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return "", time.Time{}, err
	}
	token, err = randomToken(32)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.stamp()
	expires = now.Add(SessionLifetime).Truncate(time.Second)
	err = s.Engine.Exec(ctx, `INSERT INTO auth_sessions (token_hash, user_id, expires_at, updated_at, deleted)
		VALUES ({h:String}, {user:UUID}, {exp:DateTime('UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"h": tokenHash(token), "user": userID, "exp": expires, "now": now})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create session for user %s: %w", userID, err)
	}
	return token, expires, nil
}

// UserBySession returns the account logged in with a session token, or
// ErrNotFound for an unknown, expired or revoked token.
func (s *Service) UserBySession(ctx context.Context, token string) (sillage.User, error) {
	if token == "" || len(token) > 100 {
		return sillage.User{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	var u sillage.User
	err := store.QueryRow(ctx, s.Engine, `SELECT toString(id), email, created_at FROM users FINAL
		WHERE deleted = 0 AND id IN (
			SELECT user_id FROM auth_sessions FINAL
			WHERE deleted = 0 AND token_hash = {h:String} AND expires_at > {now:DateTime('UTC')})`,
		store.Params{"h": tokenHash(token), "now": s.Now().UTC().Truncate(time.Second)}, &u.ID, &u.Email, &u.CreatedAt)
	if errors.Is(err, store.ErrNoRows) {
		return sillage.User{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return sillage.User{}, fmt.Errorf("find session: %w", err)
	}
	return u, nil
}

// tombstoneStamp versions a deletion written by INSERT … SELECT: now, or
// just after the row it hides, whichever is later, so a process whose clock
// runs behind the one that wrote the row still deletes it.
const tombstoneStamp = "greatest({now:DateTime64(6, 'UTC')}, updated_at + toIntervalMicrosecond(1))"

// DeleteSession logs a session out. An unknown token is not an error.
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	err := s.Engine.Exec(ctx, `INSERT INTO auth_sessions (token_hash, user_id, expires_at, updated_at, deleted)
		SELECT token_hash, user_id, expires_at, `+tombstoneStamp+`, 1 FROM auth_sessions FINAL
		WHERE deleted = 0 AND token_hash = {h:String}`,
		store.Params{"h": tokenHash(token), "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions logs a user out everywhere.
func (s *Service) DeleteUserSessions(ctx context.Context, userID string) error {
	err := s.Engine.Exec(ctx, `INSERT INTO auth_sessions (token_hash, user_id, expires_at, updated_at, deleted)
		SELECT token_hash, user_id, expires_at, `+tombstoneStamp+`, 1 FROM auth_sessions FINAL
		WHERE deleted = 0 AND user_id = {user:UUID}`,
		store.Params{"user": userID, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("delete sessions of user %s: %w", userID, err)
	}
	return nil
}

// ChangePassword replaces a user's password after checking the current
// one (ErrBadCredentials otherwise), and logs the user out everywhere: a
// password change is how one locks out whoever else knew the old one.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string) error {
	u, hash, err := s.userByIDWithHash(ctx, userID)
	if err != nil {
		return err
	}
	if !CheckPassword(hash, current) {
		return ErrBadCredentials
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return err
	}
	if err := s.setPasswordHash(ctx, u, newHash); err != nil {
		return err
	}
	return s.DeleteUserSessions(ctx, u.ID)
}

// setPasswordHash writes a new version of a user's row with a new hash.
func (s *Service) setPasswordHash(ctx context.Context, u sillage.User, hash string) error {
	err := s.Engine.Exec(ctx, `INSERT INTO users (id, email, password_hash, created_at, updated_at, deleted)
		VALUES ({id:UUID}, {email:String}, {hash:String}, {created:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')}, 0)`,
		store.Params{"id": u.ID, "email": u.Email, "hash": hash, "created": u.CreatedAt, "now": s.stamp()})
	if err != nil {
		return fmt.Errorf("set password of user %s: %w", u.Email, err)
	}
	return nil
}
