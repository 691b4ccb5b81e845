package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/sillage-analytics/sillage/internal/mailtest"
)

// The binary with an SMTP server whose password is given in --smtp-url:
// the server refuses (Mailpit offers no STARTTLS, which smtp:// requires),
// and neither the log nor any answer shows the password; the operator
// sees the error in the settings; the retry loop stops with the server.
func TestServeMailKeepsThePasswordSecret(t *testing.T) {
	mp := mailtest.Start(t)
	addr, stdout, logs := startServeLogged(t, "--data", t.TempDir(), "--bootstrap-user", "admin@example.fr",
		"--smtp-url", "smtp://ann:Pw0rdSecret@"+mp.SMTPAddr, "--smtp-from", "Sillage <stats@example.fr>",
		"--public-url", "https://stats.example.fr")
	m := regexp.MustCompile(`with password (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no bootstrap password in %q", stdout.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	base := "http://" + addr
	call := func(method, path, csrf, body string, into any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw json.RawMessage
		json.NewDecoder(resp.Body).Decode(&raw)
		if strings.Contains(string(raw), "Pw0rdSecret") {
			t.Errorf("%s %s answers the SMTP password: %s", method, path, raw)
		}
		if into != nil {
			json.Unmarshal(raw, into)
		}
		return resp.StatusCode
	}
	var login struct {
		CSRFToken string `json:"csrf_token"`
	}
	if s := call("POST", "/api/auth/login", "", `{"email":"admin@example.fr","password":"`+m[1]+`"}`, &login); s != 200 {
		t.Fatalf("login: %d", s)
	}
	var sent struct{ To, Status, Error string }
	if s := call("POST", "/api/settings/mail/test", login.CSRFToken, "", &sent); s != 200 || sent.Status != "queued" || sent.Error == "" {
		t.Fatalf("test email: %d %+v", s, sent)
	}
	var st struct {
		Configured bool   `json:"configured"`
		Server     string `json:"server"`
		LastError  string `json:"last_error"`
	}
	if s := call("GET", "/api/settings/mail", "", "", &st); s != 200 || !st.Configured || st.Server != "smtp://ann@"+mp.SMTPAddr || st.LastError != sent.Error {
		t.Fatalf("settings: %d %+v", s, st)
	}
	if !strings.Contains(logs.String(), "email on") || !strings.Contains(logs.String(), "mail delivery failed; will retry") {
		t.Errorf("the log does not say email is on and the delivery failed:\n%s", logs)
	}
	if strings.Contains(logs.String(), "Pw0rdSecret") {
		t.Errorf("the log shows the SMTP password:\n%s", logs)
	}
}
