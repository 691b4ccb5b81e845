package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sillage-analytics/sillage/query/api"
)

func (e *env) code(secret string, skew time.Duration) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now().Add(skew), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// nextStep moves the clock to the middle of the next 30-second step, so
// that a new code exists and the previous one is not replayed.
func (e *env) nextStep() {
	now := e.clock.Now()
	e.clock.Advance(now.Truncate(30 * time.Second).Add(45 * time.Second).Sub(now))
}

type sessionAnswer struct {
	CSRFToken    string `json:"csrf_token"`
	SecondFactor string `json:"second_factor"`
	PendingToken string `json:"pending_token"`
	TOTP         struct {
		Enabled           bool
		Required          bool
		RecoveryCodesLeft int `json:"recovery_codes_left"`
	}
}

// enrol sets up TOTP for c's account through the API and returns the
// secret and the recovery codes.
func (c *client) enrol() (string, []string) {
	t := c.e.t
	t.Helper()
	r := c.do("POST", "/api/auth/totp/enrol", nil)
	wantStatus(t, "enrol", r, 200)
	var e struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QRCode string `json:"qr_code"`
	}
	r.json(t, &e)
	if e.Secret == "" || !strings.HasPrefix(e.URI, "otpauth://totp/Sillage:") || !strings.HasPrefix(e.QRCode, "data:image/png;base64,") {
		t.Fatalf("enrolment %s", r)
	}
	c.e.nextStep()
	wantStatus(t, "confirm with a wrong code", c.do("POST", "/api/auth/totp/confirm", map[string]string{"code": wrong(c.e, e.Secret)}), 400)
	r = c.do("POST", "/api/auth/totp/confirm", map[string]string{"code": c.e.code(e.Secret, 0)})
	wantStatus(t, "confirm", r, 200)
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.json(t, &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes %s", r)
	}
	return e.Secret, rc.RecoveryCodes
}

// wrong is a code that no accepted step has right now.
func wrong(e *env, secret string) string {
	taken := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		taken[e.code(secret, d)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !taken[c] {
			return c
		}
	}
	e.t.Fatal("no wrong code")
	return ""
}

func TestTOTPLogin(t *testing.T) {
	e := newEnv(t)
	u := e.user("claire@example.fr")
	owner := e.as(u)
	var st sessionAnswer
	r := owner.do("GET", "/api/auth/me", nil)
	if r.json(t, &st); st.TOTP.Enabled || st.TOTP.Required {
		t.Fatalf("me before enrolment %s", r)
	}
	wantStatus(t, "enrol without a session", e.client().do("POST", "/api/auth/totp/enrol", nil), 401)
	secret, recovery := owner.enrol()
	wantStatus(t, "enrol twice", owner.do("POST", "/api/auth/totp/enrol", nil), 409)
	r = owner.do("GET", "/api/auth/totp", nil)
	wantStatus(t, "status", r, 200)
	if !strings.Contains(r.String(), `"enabled":true`) || !strings.Contains(r.String(), `"recovery_codes_left":10`) || strings.Contains(r.String(), secret) {
		t.Fatalf("status %s", r)
	}

	from := func(ip string) *client {
		c := e.client()
		c.header.Set("X-Forwarded-For", ip)
		return c
	}
	// The password alone opens no session.
	pending := func(c *client) string {
		t.Helper()
		r := c.login("claire@example.fr", password)
		wantStatus(t, "password", r, 200)
		var a sessionAnswer
		r.json(t, &a)
		if a.SecondFactor != "totp" || a.PendingToken == "" || r.cookie(api.SessionCookie) != nil || a.CSRFToken != "" {
			t.Fatalf("login with TOTP on: %s, cookies %v", r, r.header["Set-Cookie"])
		}
		return a.PendingToken
	}
	second := func(c *client, token, code string) response {
		return c.do("POST", "/api/auth/login/totp", map[string]string{"pending_token": token, "code": code})
	}
	c := from("192.0.2.1")
	tok := pending(c)
	wantStatus(t, "no session after the password", c.do("GET", "/api/auth/me", nil), 401)
	wantStatus(t, "wrong code", second(c, tok, wrong(e, secret)), 401)
	wantStatus(t, "forged token", second(c, strings.Replace(tok, tok[:3], "AAA", 1), e.code(secret, 0)), 401)
	wantStatus(t, "no token", second(c, "", e.code(secret, 0)), 401)
	e.nextStep()
	r = second(c, tok, e.code(secret, 0))
	wantStatus(t, "right code", r, 200)
	if r.cookie(api.SessionCookie) == nil {
		t.Fatalf("no session cookie: %v", r.header["Set-Cookie"])
	}
	r.json(t, &st)
	c.csrf = st.CSRFToken
	wantStatus(t, "logged in", c.do("GET", "/api/auth/me", nil), 200)
	wantStatus(t, "the same code again", second(from("192.0.2.2"), pending(from("192.0.2.2")), e.code(secret, 0)), 401)
	wantStatus(t, "a recovery code", second(from("192.0.2.3"), pending(from("192.0.2.3")), recovery[0]), 200)
	wantStatus(t, "a used recovery code", second(from("192.0.2.4"), pending(from("192.0.2.4")), recovery[0]), 401)

	tok = pending(from("192.0.2.5"))
	e.clock.Advance(api.PendingLoginLifetime)
	wantStatus(t, "expired pending login", second(from("192.0.2.5"), tok, e.code(secret, 0)), 401)

	// Codes are throttled like passwords: by network, never locking the
	// account.
	guesser := from("198.51.100.1")
	tok = pending(guesser)
	for range 5 {
		wantStatus(t, "guess", second(guesser, tok, wrong(e, secret)), 401)
	}
	r = second(guesser, tok, e.code(secret, 0))
	wantStatus(t, "guesser throttled", r, 429)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	e.nextStep()
	wantStatus(t, "owner from elsewhere", second(from("203.0.113.9"), pending(from("203.0.113.9")), e.code(secret, 0)), 200)

	// Turning it off needs the password and a code (once the guesses
	// above have left the throttle's window: they slow the account down).
	e.clock.Advance(15 * time.Minute)
	off := func(pw, code string) response {
		return owner.do("POST", "/api/auth/totp/disable", map[string]string{"password": pw, "code": code})
	}
	e.nextStep()
	wantStatus(t, "off with a wrong password", off("wrong password!", e.code(secret, 0)), 403)
	wantStatus(t, "off with a wrong code", off(password, wrong(e, secret)), 403)
	wantStatus(t, "off", off(password, e.code(secret, 0)), 204)
	r = from("203.0.113.10").login("claire@example.fr", password)
	wantStatus(t, "password alone after turning it off", r, 200)
	if r.cookie(api.SessionCookie) == nil {
		t.Fatalf("no session: %s", r)
	}
}

// requireEnv is newWorld served by an API with RequireTOTP.
func requireEnv(t *testing.T) *world {
	w := newWorld(t)
	w.serve(api.Options{RequireTOTP: true})
	return w
}

func TestRequireTOTP(t *testing.T) {
	w := requireEnv(t)
	c := w.client()
	r := c.login(w.owner.Email, password)
	wantStatus(t, "login before enrolment", r, 200)
	var st sessionAnswer
	if r.json(t, &st); !st.TOTP.Required || st.TOTP.Enabled {
		t.Fatalf("login answer %s", r)
	}
	refused := []struct{ method, path string }{
		{"GET", "/api/sites"},
		{"GET", "/api/sites/a.fr"},
		{"GET", "/api/keys"},
		{"GET", "/stats/a.fr"},
		{"POST", "/api/auth/password"},
		{"POST", "/api/auth/totp/disable"},
	}
	for _, rt := range refused {
		r := c.do(rt.method, rt.path, map[string]string{})
		if rt.method == "GET" {
			r = c.do(rt.method, rt.path, nil)
		}
		wantStatus(t, rt.method+" "+rt.path+" before enrolment", r, 403)
		if !strings.Contains(r.String(), "two-factor") {
			t.Errorf("%s %s: %s", rt.method, rt.path, r)
		}
	}
	wantStatus(t, "me before enrolment", c.do("GET", "/api/auth/me", nil), 200)
	secret, _ := c.enrol()
	for _, rt := range refused[:4] {
		wantStatus(t, rt.path+" after enrolment", c.do(rt.method, rt.path, nil), 200)
	}
	// Another member's existing session is held to the rule too.
	viewer := w.as(w.viewer)
	wantStatus(t, "a session made before the rule", viewer.do("GET", "/stats/a.fr", nil), 403)
	wantStatus(t, "logout is allowed", viewer.do("POST", "/api/auth/logout", nil), 204)

	// The enrolled account logs in with its code.
	w.nextStep()
	other := w.client()
	r = other.login(w.owner.Email, password)
	r.json(t, &st)
	r = other.do("POST", "/api/auth/login/totp", map[string]string{"pending_token": st.PendingToken, "code": w.code(secret, 0)})
	wantStatus(t, "second factor", r, 200)
	if r.json(t, &st); !st.TOTP.Enabled || !st.TOTP.Required {
		t.Fatalf("session answer %s", r)
	}
	other.csrf = st.CSRFToken
	wantStatus(t, "sites", other.do("GET", "/api/sites", nil), 200)
}

// An API key acts for its owner, so an instance that requires a second
// factor refuses the keys of accounts without one, keys made before the
// rule included.
func TestRequireTOTPCoversAPIKeys(t *testing.T) {
	w := requireEnv(t)
	ctx := t.Context()
	_, viewerKey, err := w.acc.CreateAPIKey(ctx, w.viewer.ID, "old script", []uint32{w.a.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, ownerKey, err := w.acc.CreateAPIKey(ctx, w.owner.ID, "report", []uint32{w.a.ID})
	if err != nil {
		t.Fatal(err)
	}
	keyed := func(key string) *client {
		c := w.client()
		c.bearer = key
		return c
	}
	r := keyed(viewerKey).do("GET", "/stats/a.fr", nil)
	wantStatus(t, "key of an account without a second factor", r, 403)
	if !strings.Contains(r.String(), "two-factor") {
		t.Fatalf("refusal %s", r)
	}
	wantStatus(t, "goal through such a key", keyed(viewerKey).do("POST", "/api/sites/a.fr/goals", map[string]string{"event_name": "Signup"}), 403)
	wantStatus(t, "key of the owner before enrolment", keyed(ownerKey).do("GET", "/stats/a.fr", nil), 403)
	c := w.client()
	wantStatus(t, "login", c.login(w.owner.Email, password), 200)
	c.enrol()
	wantStatus(t, "key of the owner after enrolment", keyed(ownerKey).do("GET", "/stats/a.fr", nil), 200)
}

// Whoever knows the password may guess codes from many networks at once:
// an account's codes have a hard limit of their own, counted before the
// check so that parallel guesses cannot all pass it. It holds for the
// login's second step, for turning TOTP off and for confirming an
// enrolment.
func TestTOTPCodesHardLimit(t *testing.T) {
	e := newEnv(t)
	u := e.user("claire@example.fr")
	owner := e.as(u)
	secret, _ := owner.enrol()
	// enrol tried one wrong code; let it leave the window.
	e.clock.Advance(15 * time.Minute)
	from := func(ip string) *client {
		c := e.client()
		c.header.Set("X-Forwarded-For", ip)
		return c
	}
	pending := func() string {
		t.Helper()
		r := from("203.0.113.200").login(u.Email, password)
		wantStatus(t, "password", r, 200)
		var a sessionAnswer
		r.json(t, &a)
		return a.PendingToken
	}
	tok := pending()
	second := func(c *client, code string) response {
		return c.do("POST", "/api/auth/login/totp", map[string]string{"pending_token": tok, "code": code})
	}
	const guesses = 2 * api.CodeLimit
	statuses := make(chan int, guesses)
	bad := wrong(e, secret)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			// Each guess from a network of its own, none of them throttled.
			r := second(from(fmt.Sprintf("2001:db8:%x::1", i)), bad)
			statuses <- r.status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[401] != api.CodeLimit || count[429] != guesses-api.CodeLimit {
		t.Fatalf("%d parallel wrong codes from as many networks: %v, want %d × 401 and the rest 429", guesses, count, api.CodeLimit)
	}
	e.nextStep()
	r := second(from("198.51.100.77"), e.code(secret, 0))
	wantStatus(t, "the right code, once the account's codes are spent", r, 429)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	wantStatus(t, "turning TOTP off meanwhile", owner.do("POST", "/api/auth/totp/disable", map[string]string{"password": password, "code": e.code(secret, 0)}), 429)

	// The window passes: the owner logs in with a code.
	e.clock.Advance(15 * time.Minute)
	e.nextStep()
	tok = pending()
	wantStatus(t, "the right code after the window", second(from("198.51.100.78"), e.code(secret, 0)), 200)

	// Confirming an enrolment counts too.
	other := e.as(e.user("paul@example.fr"))
	r = other.do("POST", "/api/auth/totp/enrol", nil)
	wantStatus(t, "enrol", r, 200)
	var en struct {
		Secret string `json:"secret"`
	}
	r.json(t, &en)
	for i := range api.CodeLimit {
		c := from(fmt.Sprintf("2001:db8:ff:%x::1", i))
		c.cookies, c.csrf = other.cookies, other.csrf
		wantStatus(t, "wrong confirmation", c.do("POST", "/api/auth/totp/confirm", map[string]string{"code": wrong(e, en.Secret)}), 400)
	}
	wantStatus(t, "right confirmation past the limit", other.do("POST", "/api/auth/totp/confirm", map[string]string{"code": e.code(en.Secret, 0)}), 429)
}
