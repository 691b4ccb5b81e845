package mail

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		url, from string
		want      Config
		err       string
	}{
		{url: "smtp://ann:s3cr%40t@mail.example.com", from: "Sillage <stats@example.com>",
			want: Config{Host: "mail.example.com", Port: 587, Security: StartTLS, Username: "ann", Password: "s3cr@t", From: `"Sillage" <stats@example.com>`}},
		{url: "smtps://ann%40example.com:pw@mail.example.com:2465", from: "stats@example.com",
			want: Config{Host: "mail.example.com", Port: 2465, Security: ImplicitTLS, Username: "ann@example.com", Password: "pw", From: "<stats@example.com>"}},
		{url: "smtp+plain://127.0.0.1:1025", from: "stats@example.com",
			want: Config{Host: "127.0.0.1", Port: 1025, Security: Plain, From: "<stats@example.com>"}},
		{url: "SMTPS://[::1]", from: "a@b.c", want: Config{Host: "::1", Port: 465, Security: ImplicitTLS, From: "<a@b.c>"}},
		{url: "http://mail.example.com", from: "a@b.c", err: "scheme"},
		{url: "smtp://", from: "a@b.c", err: "no host"},
		{url: "smtp://h:0", from: "a@b.c", err: "port"},
		{url: "smtp://h:99999", from: "a@b.c", err: "port"},
		{url: "smtp://h/x", from: "a@b.c", err: "no path"},
		{url: "smtp://h", from: "", err: "--smtp-from is required"},
		{url: "smtp://h", from: "not an address", err: "--smtp-from"},
		{url: "smtp://user:topsecret@h:bad", from: "a@b.c", err: "not a URL"},
		// A password with a character that URL syntax reserves, not encoded:
		// the parser reads the password, or a part of it, as the port.
		{url: "smtp://user:topsecret#1@h:587", from: "a@b.c", err: "not a URL"},
		{url: "smtp://user:topsecret/1@h:587", from: "a@b.c", err: "not a URL"},
		{url: "smtp://user:topsecret?1@h:587", from: "a@b.c", err: "not a URL"},
		{url: "smtp://user:topsecret", from: "a@b.c", err: "not a URL"},
		{url: "smtp://user:topsecret%zz@h:587", from: "a@b.c", err: "not a URL"},
		// A password of digits before the # parses as a port.
		{url: "smtp://user:4242#1@h:587", from: "a@b.c", err: "not a URL"},
	} {
		got, err := ParseConfig(tc.url, tc.from)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.url, err, tc.err)
			}
			if err != nil && (strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "%zz")) {
				t.Errorf("%s: the error shows the password: %v", tc.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.url, got, tc.want)
		}
		if tc.want.Password != "" && strings.Contains(got.String(), tc.want.Password) {
			t.Errorf("%s: String shows the password: %s", tc.url, got)
		}
	}
}

func TestConfigString(t *testing.T) {
	c, err := ParseConfig("smtp://ann:pw@mail.example.com:587", "a@b.c")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtp://ann@mail.example.com:587"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// FuzzParseConfig: any URL parses or fails without panicking, and never
// shows its password.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"smtp://u:p@h:587", "smtps://h", "smtp+plain://[::1]:25", "smtp://u:pw@h:x", "%zz", "smtp://u:p@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		const pw = "Zq9pw"
		withPw := strings.Replace(raw, "p@", pw+"@", 1)
		c, err := ParseConfig(withPw, "a@b.c")
		if err != nil {
			if strings.Contains(withPw, pw) && strings.Contains(err.Error(), pw) {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		if c.Password != "" && strings.Contains(c.String(), c.Password) && !strings.Contains(c.Username+c.Host, c.Password) {
			t.Fatalf("String shows the password: %s", c)
		}
	})
}
