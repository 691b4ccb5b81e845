package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
)

const (
	// SessionCookie holds a dashboard login's random token.
	SessionCookie = "sillage_session"
	// CSRFHeader must carry the session's CSRF token on every
	// state-changing request authenticated by the cookie.
	CSRFHeader = "X-CSRF-Token"
)

type userJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type sessionJSON struct {
	User      userJSON `json:"user"`
	CSRFToken string   `json:"csrf_token"`
	// TOTP says whether the account has a second factor, and whether the
	// instance requires one (then the session can do nothing but enrol).
	TOTP totpStatusJSON `json:"totp"`
}

type session struct {
	user  sillage.User
	token string
}

// csrfToken is an HMAC of the session token: the page learns it from a
// same-origin JSON response, which another site cannot read, and the
// server needs to store nothing.
func (a *API) csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte(sessionToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// requireSession authenticates a dashboard user by cookie, and checks the
// CSRF token of a state-changing request. A request with an API key gets
// 403 (valid key) or 401 (bad key): these routes are for people.
func (a *API) requireSession(r *http.Request) (session, error) {
	if g := granted(r); g.sess.token != "" { // checked already by serve
		return g.sess, nil
	}
	if tok, ok := bearerToken(r); ok {
		if _, err := a.key(r, tok); err != nil {
			return session{}, err
		}
		return session{}, forbidden("API keys cannot do this: log in to the dashboard")
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return session{}, unauthenticated("log in first")
	}
	u, err := a.sessionUser(r, c.Value)
	if errors.Is(err, accounts.ErrNotFound) {
		return session{}, unauthenticated("session expired: log in again")
	}
	if err != nil {
		return session{}, err
	}
	if err := a.checkCSRF(r); err != nil {
		return session{}, err
	}
	return session{user: u, token: c.Value}, nil
}

// checkCSRF refuses a state-changing request by session cookie whose
// X-CSRF-Token header is not the session's.
func (a *API) checkCSRF(r *http.Request) error {
	if safeMethod(r.Method) {
		return nil
	}
	var token string
	if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if token == "" || !hmac.Equal([]byte(r.Header.Get(CSRFHeader)), []byte(a.csrfToken(token))) {
		return forbidden("missing or wrong " + CSRFHeader + " header")
	}
	return nil
}

// startSession logs u in: a new token in the cookie, and the CSRF token in
// the answer.
func (a *API) startSession(w http.ResponseWriter, r *http.Request, u sillage.User, status int) error {
	token, expires, err := a.acc.CreateSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		Expires: expires, MaxAge: int(expires.Sub(a.now()).Seconds()),
		HttpOnly: true, Secure: a.secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
	return a.writeSession(w, r, status, u, token)
}

func (a *API) writeSession(w http.ResponseWriter, r *http.Request, status int, u sillage.User, token string) error {
	st, err := a.totpStatus(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, status, sessionJSON{User: userJSON{u.ID, u.Email}, CSRFToken: a.csrfToken(token), TOTP: st})
	return nil
}

func (a *API) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secureRequest(r), SameSite: http.SameSiteLaxMode})
}

// throttled answers 429 with the wait in Retry-After.
func throttled(w http.ResponseWriter, wait time.Duration) error {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return &httpError{http.StatusTooManyRequests, ErrThrottled.Error(), ErrThrottled}
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) getSetup(w http.ResponseWriter, r *http.Request) error {
	has, err := a.acc.HasUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"needed": !has})
	return nil
}

// postSetup creates the first account, only while there is none: whoever
// reaches a fresh server first becomes its administrator, as with
// Plausible and Umami, so an operator should finish setup right after
// starting it (or create the account from the command line).
func (a *API) postSetup(w http.ResponseWriter, r *http.Request) error {
	var req credentials
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	// The check and the insert are not atomic in the store; the lock makes
	// them so within this process.
	a.setup.Lock()
	defer a.setup.Unlock()
	has, err := a.acc.HasUsers(ctx)
	if err != nil {
		return err
	}
	if has {
		return forbidden("setup is already done: log in")
	}
	var u sillage.User
	var addErr error
	if err := a.slowCheck(ctx, func() { u, addErr = a.acc.AddUser(ctx, req.Email, req.Password) }); err != nil {
		return err
	}
	if addErr != nil {
		return addErr
	}
	a.log.Info("first account created by setup", "user", u.ID)
	a.adopt(ctx, u)
	return a.startSession(w, r, u, http.StatusCreated)
}

// adopt gives the first account the sites created from the command line.
func (a *API) adopt(ctx context.Context, u sillage.User) {
	sites, err := a.acc.AdoptOrphanSites(ctx, u.ID)
	if err != nil {
		a.log.Warn("cannot hand sites without owner to the first account", "user", u.ID, "error", err)
	}
	for _, s := range sites {
		a.log.Info("site without owner adopted by the first account", "domain", s.Domain, "user", u.ID)
	}
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req credentials
	if err := decode(w, r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || req.Password == "" || len(email) > 320 {
		return badRequest("email and password are required")
	}
	ctx := r.Context()
	var u sillage.User
	err := a.guarded(ctx, w, r, "email:"+email, func() error {
		var authErr error
		if err := a.slowCheck(ctx, func() { u, authErr = a.acc.Authenticate(ctx, email, req.Password) }); err != nil {
			return err
		}
		return authErr
	}, isBadCredentials)
	if errors.Is(err, accounts.ErrBadCredentials) {
		return unauthenticated(accounts.ErrBadCredentials.Error())
	}
	if err != nil {
		return err
	}
	if asked, err := a.askSecondFactor(w, r, u); asked || err != nil {
		return err
	}
	return a.finishLogin(w, r, u)
}

// finishLogin starts the session of a login whose every factor is right.
func (a *API) finishLogin(w http.ResponseWriter, r *http.Request, u sillage.User) error {
	ctx := r.Context()
	a.adopt(ctx, u)
	// Never reuse a token that existed before the login.
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := a.acc.DeleteSession(ctx, c.Value); err != nil {
			a.log.Warn("cannot end the previous session at login", "error", err)
		}
	}
	return a.startSession(w, r, u, http.StatusOK)
}

func isBadCredentials(err error) bool { return errors.Is(err, accounts.ErrBadCredentials) }

func (a *API) logout(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	if err := a.acc.DeleteSession(r.Context(), s.token); err != nil {
		return err
	}
	a.clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	return a.writeSession(w, r, http.StatusOK, s.user, s.token)
}

type passwordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword ends every session of the user, this one included, and
// starts a new one: whoever else knew the old password is logged out.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req passwordChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	key := "user:" + s.user.ID
	if wait := a.logins.take(key); wait > 0 {
		return throttled(w, wait)
	}
	var changeErr error
	if err := a.slowCheck(ctx, func() { changeErr = a.acc.ChangePassword(ctx, s.user.ID, req.Current, req.New) }); err != nil {
		a.logins.forgive(key)
		return err
	}
	if errors.Is(changeErr, accounts.ErrBadCredentials) {
		return forbidden("the current password is wrong")
	}
	if changeErr != nil {
		a.logins.forgive(key)
		return changeErr
	}
	a.logins.reset(key)
	a.log.Info("password changed; every session ended", "user", s.user.ID)
	return a.startSession(w, r, s.user, http.StatusOK)
}

// key finds an API key; every failure is the same 401, and counts
// against the client's network (lookup).
func (a *API) key(r *http.Request, token string) (accounts.APIKey, error) {
	var k accounts.APIKey
	err := a.lookup(r, "key\x00"+token, func() error {
		var err error
		k, err = a.acc.KeyByToken(r.Context(), token)
		return err
	}, func(err error) bool { return errors.Is(err, accounts.ErrBadKey) })
	if errors.Is(err, accounts.ErrBadKey) {
		return k, unauthenticated("invalid API key")
	}
	if errors.Is(err, ErrThrottled) {
		return k, err
	}
	if err != nil {
		return k, fmt.Errorf("check API key: %w", err)
	}
	return k, nil
}
