package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
)

// Two-factor authentication. A login whose password is right but whose
// account has TOTP on gets no session: it gets a pending token, signed and
// short-lived, to send with a code to POST /api/auth/login/totp. Codes are
// throttled like passwords, per client network hard and per account
// slowed, and besides have a hard limit per account (guardedCode).

// PendingLoginLifetime is how long a right password waits for its code.
const PendingLoginLifetime = 5 * time.Minute

// totpIssuer names the instance in authenticator apps.
const totpIssuer = "Sillage"

type pendingJSON struct {
	SecondFactor string `json:"second_factor"`
	PendingToken string `json:"pending_token"`
}

// pendingToken signs (user id, expiry): the server keeps nothing, and a
// token cannot be made for another account or stretched.
func (a *API) pendingToken(userID string) string {
	payload := userID + "." + strconv.FormatInt(a.now().Add(PendingLoginLifetime).Unix(), 10)
	m := hmac.New(sha256.New, a.pendingKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// pendingUser checks a pending token and returns its account's id.
func (a *API) pendingUser(token string) (string, bool) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", false
	}
	m := hmac.New(sha256.New, a.pendingKey)
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return "", false
	}
	userID, exp, ok := strings.Cut(string(payload), ".")
	expires, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || a.now().Unix() >= expires {
		return "", false
	}
	return userID, true
}

// askSecondFactor answers a right password for an account with TOTP on,
// and reports whether it did.
func (a *API) askSecondFactor(w http.ResponseWriter, r *http.Request, u sillage.User) (bool, error) {
	st, err := a.acc.TOTPStatus(r.Context(), u.ID)
	if err != nil || !st.Enabled {
		return false, err
	}
	writeJSON(w, http.StatusOK, pendingJSON{SecondFactor: "totp", PendingToken: a.pendingToken(u.ID)})
	return true, nil
}

type totpLogin struct {
	PendingToken string `json:"pending_token"`
	Code         string `json:"code"`
}

func isBadCode(err error) bool { return errors.Is(err, accounts.ErrBadCode) }

// loginTOTP finishes a login with a code of the authenticator or a
// recovery code.
func (a *API) loginTOTP(w http.ResponseWriter, r *http.Request) error {
	var req totpLogin
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Code) > 64 {
		return badRequest("code too long")
	}
	userID, ok := a.pendingUser(req.PendingToken)
	if !ok {
		return unauthenticated("this login has expired: enter your password again")
	}
	ctx := r.Context()
	err := a.guardedCode(ctx, w, r, userID, func() error { return a.acc.CheckSecondFactor(ctx, userID, req.Code) }, isBadCode)
	if isBadCode(err) {
		return unauthenticated(accounts.ErrBadCode.Error())
	}
	if err != nil {
		return err
	}
	u, err := a.acc.UserByID(ctx, userID)
	if errors.Is(err, accounts.ErrNotFound) {
		return unauthenticated("this login has expired: enter your password again")
	}
	if err != nil {
		return err
	}
	return a.finishLogin(w, r, u)
}

// totpAllowed are the routes a session may use before it enrols, on an
// instance that requires a second factor.
var totpAllowed = map[string]bool{
	"GET /api/auth/me":            true,
	"POST /api/auth/logout":       true,
	"GET /api/auth/totp":          true,
	"POST /api/auth/totp/enrol":   true,
	"POST /api/auth/totp/confirm": true,
}

// errMustEnrol refuses everything else to such a session.
var errMustEnrol = forbidden("this instance requires two-factor authentication: set it up first")

// sessionUser finds the account of a session token, and holds it to the
// instance's second-factor rule.
func (a *API) sessionUser(r *http.Request, token string) (sillage.User, error) {
	var u sillage.User
	err := a.lookup(r, "session\x00"+token, func() error {
		var err error
		u, err = a.acc.UserBySession(r.Context(), token)
		return err
	}, isNotFound)
	if err != nil || !a.mustTOTP || totpAllowed[r.Pattern] {
		return u, err
	}
	st, err := a.acc.TOTPStatus(r.Context(), u.ID)
	if err != nil {
		return u, err
	}
	if !st.Enabled {
		return u, errMustEnrol
	}
	return u, nil
}

type totpStatusJSON struct {
	Enabled           bool `json:"enabled"`
	Required          bool `json:"required"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

func (a *API) totpStatus(ctx context.Context, userID string) (totpStatusJSON, error) {
	st, err := a.acc.TOTPStatus(ctx, userID)
	if err != nil {
		return totpStatusJSON{}, err
	}
	return totpStatusJSON{Enabled: st.Enabled, Required: a.mustTOTP, RecoveryCodesLeft: st.RecoveryCodesLeft}, nil
}

func (a *API) getTOTP(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	st, err := a.totpStatus(r.Context(), s.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

type enrolmentJSON struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	// QRCode is the URI as a PNG data: URL, for the authenticator's camera.
	QRCode string `json:"qr_code"`
}

// enrolTOTP draws the account's new secret; it takes effect when
// confirmTOTP sees a first code from it.
func (a *API) enrolTOTP(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	e, err := a.acc.BeginTOTP(r.Context(), s.user.ID, totpIssuer)
	if err != nil {
		return err
	}
	qr, err := qrDataURL(e.URI)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrolmentJSON{Secret: e.Secret, URI: e.URI, QRCode: qr})
	return nil
}

func qrDataURL(uri string) (string, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("parse TOTP URI: %w", err)
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return "", fmt.Errorf("draw TOTP QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("encode TOTP QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

type totpCode struct {
	Code string `json:"code"`
}

type recoveryJSON struct {
	// RecoveryCodes are shown in this answer and never again.
	RecoveryCodes []string `json:"recovery_codes"`
}

func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req totpCode
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	var codes []string
	err = a.guardedCode(ctx, w, r, s.user.ID, func() error {
		var err error
		codes, err = a.acc.ConfirmTOTP(ctx, s.user.ID, req.Code)
		return err
	}, isBadCode)
	if isBadCode(err) {
		return badRequest("wrong code: check the time of the device that shows it")
	}
	if err != nil {
		return err
	}
	a.log.Info("two-factor authentication turned on", "user", s.user.ID)
	writeJSON(w, http.StatusOK, recoveryJSON{RecoveryCodes: codes})
	return nil
}

type totpDisable struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// disableTOTP needs the password and a code: a session alone, perhaps
// left open on a shared computer, cannot remove the second factor.
func (a *API) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	s, err := a.requireSession(r)
	if err != nil {
		return err
	}
	var req totpDisable
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	err = a.guardedCode(ctx, w, r, s.user.ID, func() error {
		var disableErr error
		if err := a.slowCheck(ctx, func() { disableErr = a.acc.DisableTOTP(ctx, s.user.ID, req.Password, req.Code) }); err != nil {
			return err
		}
		return disableErr
	}, func(err error) bool { return isBadCode(err) || isBadCredentials(err) })
	if isBadCredentials(err) {
		return forbidden("the password is wrong")
	}
	if isBadCode(err) {
		return forbidden("wrong code")
	}
	if err != nil {
		return err
	}
	a.log.Info("two-factor authentication turned off", "user", s.user.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
