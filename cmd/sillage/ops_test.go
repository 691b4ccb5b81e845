package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/internal/demo"
	"github.com/sillage-analytics/sillage/internal/proctest"
	"github.com/sillage-analytics/sillage/migrations"
	"github.com/sillage-analytics/sillage/store"
	"github.com/sillage-analytics/sillage/store/embedded"
)

// childHelperEnv names the job a child run of the test binary does.
const childHelperEnv = "SILLAGE_TEST_CHILD_HELPER"

// runChildHelper does a child's job and returns its exit code.
func runChildHelper(job string) int {
	switch job {
	case "bench-folder":
		if err := benchFolder(os.Getenv("SILLAGE_TEST_DATA")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "squatted-account":
		if err := squattedFolder(os.Getenv("SILLAGE_TEST_DATA")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown child helper %q\n", job)
	return 2
}

const (
	benchSiteID = 4242
	benchDomain = "bench.example.fr"
)

// benchFolder fills a data folder as bench/query does: events of site id
// 4242 for bench.example.fr, written straight into the engine, without a
// row in the sites table. It prints the number of pageviews.
func benchFolder(dir string) error {
	ctx := context.Background()
	eng, err := embedded.Open(ctx, embedded.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := migrations.New(ctx, eng, migrations.Target{}, nil)
	if err != nil {
		return err
	}
	if err := m.Up(); err != nil {
		return err
	}
	if _, err := demo.Generate(ctx, eng, demo.Options{SiteID: benchSiteID, Hostname: benchDomain, Events: 3000, Days: 3, Seed: 7}); err != nil {
		return err
	}
	var pageviews uint64
	if err := store.QueryRow(ctx, eng, "SELECT count() FROM events WHERE site_id = {s:UInt32} AND name = 'pageview'",
		store.Params{"s": benchSiteID}, &pageviews); err != nil {
		return err
	}
	fmt.Println(pageviews)
	return nil
}

// squattedFolder fills a data folder with the squat of the security
// review: ops@example.fr (made from the command line) owns a.fr and
// invited ceo@client.fr there as a viewer; whoever held the link accepted
// it and chose the account's password.
func squattedFolder(dir string) error {
	ctx := context.Background()
	eng, err := embedded.Open(ctx, embedded.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := migrations.New(ctx, eng, migrations.Target{}, nil)
	if err != nil {
		return err
	}
	if err := m.Up(); err != nil {
		return err
	}
	o := newOps(eng, "")
	ops, err := o.Service.AddUser(ctx, "ops@example.fr", "le mot de passe ops")
	if err != nil {
		return err
	}
	a, err := o.AddSiteWithOwner(ctx, ops.ID, "a.fr", "Europe/Paris")
	if err != nil {
		return err
	}
	_, tok, err := o.CreateInvitation(ctx, a.ID, "ceo@client.fr", sillage.RoleViewer, ops.ID)
	if err != nil {
		return err
	}
	_, _, err = o.AcceptInvitationNewAccount(ctx, tok, "the squatter's choice")
	return err
}

// An account made by accepting an invitation link gets a site from the
// command line only through a new invitation, whose link the command
// prints; a member's role still changes at once.
func TestOpsPrintInvitationForAnAccountMadeByALink(t *testing.T) {
	data := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(proctest.CleanEnv(), childHelperEnv+"=squatted-account", "SILLAGE_TEST_DATA="+data)
	if out, err := child.CombinedOutput(); err != nil {
		t.Fatalf("fill the folder: %v\n%s", err, out)
	}
	cli := func(args ...string) result {
		return runCLI(t, nil, "", append(args, "--data", data)...)
	}
	r := cli("site", "add", "client.fr", "--owner", "ceo@client.fr", "--public-url", "https://stats.example.fr")
	wantCLI(t, "site add --owner of an account made by a link", r, true, "owner ceo@client.fr invited")
	if !strings.Contains(r.stdout, "\nhttps://stats.example.fr/invite/") {
		t.Fatalf("site add --owner: no invitation link printed: %+v", r)
	}
	wantCLI(t, "the invitee is not a member yet", cli("apikey", "create", "--site", "client.fr", "--email", "ceo@client.fr"),
		false, "cannot read client.fr")
	wantCLI(t, "site add", cli("site", "add", "client2.fr"), true, "no owner yet")
	r = cli("user", "add", "--email", "ceo@client.fr", "--site", "client2.fr", "--role", "owner")
	wantCLI(t, "user add --site of an account made by a link", r, true, "ceo@client.fr is invited as owner of client2.fr")
	if !strings.Contains(r.stdout, "\n<dashboard address>/invite/") {
		t.Fatalf("user add without --public-url: no link's path printed: %+v", r)
	}
	wantCLI(t, "still not a member", cli("apikey", "create", "--site", "client2.fr", "--email", "ceo@client.fr"),
		false, "cannot read client2.fr")
	wantCLI(t, "a member's role changes at once", cli("user", "add", "--email", "ceo@client.fr", "--site", "a.fr", "--role", "admin"),
		true, "ceo@client.fr is admin of a.fr")
	wantCLI(t, "a command line account is added at once", cli("user", "add", "--email", "ops@example.fr", "--site", "client2.fr", "--role", "owner"),
		true, "ops@example.fr is owner of client2.fr")
}

// statsQuery runs a Stats API query with a key and returns the first row's
// metrics.
func statsQuery(t *testing.T, addr, key, body string) []float64 {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v2/query", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("stats query: %d %s", resp.StatusCode, b)
	}
	var out struct {
		Results []struct {
			Metrics []float64 `json:"metrics"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Results) != 1 {
		t.Fatalf("stats query: %s (%v)", b, err)
	}
	return out.Results[0].Metrics
}

// A data folder filled by the query benchmark holds bench.example.fr's
// events under site id 4242 with no site row. serve --bootstrap-site for
// that domain takes the stored site over, owned by the bootstrap account,
// instead of registering a second, empty one under a new id.
func TestBootstrapAdoptsStoredSite(t *testing.T) {
	data := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(proctest.CleanEnv(), childHelperEnv+"=bench-folder", "SILLAGE_TEST_DATA="+data)
	out, err := child.Output()
	if err != nil {
		t.Fatalf("fill the folder as bench/query does: %v\n%s", err, out)
	}
	pageviews, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || pageviews == 0 {
		t.Fatalf("bench folder: %q pageviews (%v)", out, err)
	}

	args := []string{"--data", data, "--bootstrap-site", benchDomain, "--bootstrap-user", "ops@example.fr"}
	stdout := withServe(t, args, func(addr string) {
		r := runCLI(t, nil, "", "site", "list", "--data", data)
		if r.code != 0 || strings.Count(r.stdout, benchDomain) != 1 || !strings.Contains(r.stdout, strconv.Itoa(benchSiteID)) {
			t.Fatalf("site list: want %s once, with id %d: %+v", benchDomain, benchSiteID, r)
		}
		// The key defaults to the site's owner: the bootstrap account owns it.
		r = runCLI(t, nil, "", "apikey", "create", "--site", benchDomain, "--data", data)
		if r.code != 0 {
			t.Fatalf("apikey create: %+v", r)
		}
		got := statsQuery(t, addr, strings.TrimSpace(r.stdout), `{"site_id":"bench.example.fr","metrics":["pageviews"],"date_range":"all"}`)
		if got[0] != pageviews {
			t.Fatalf("pageviews through the API = %v, want the %v stored", got[0], pageviews)
		}
	})
	if !strings.Contains(stdout, "Adopted the stored events of site "+benchDomain) {
		t.Errorf("serve does not say it adopted the stored site: %q", stdout)
	}
	// A restart finds the site registered and changes nothing.
	stdout = withServe(t, args, func(string) {})
	if strings.Contains(stdout, "Adopted") || strings.Contains(stdout, "Created") {
		t.Fatalf("second start touched the site or the account again: %q", stdout)
	}
}

// withServe runs serve with args, calls fn once it is ready, stops it with
// SIGTERM and returns what it printed.
func withServe(t *testing.T, args []string, fn func(addr string)) string {
	t.Helper()
	addr := proctest.FreePort(t)
	cmd := exec.Command(binary, append([]string{"serve", "--listen", addr, "--log-level", "warn"}, args...)...)
	cmd.Env = proctest.CleanEnv()
	var stdout, stderr proctest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not stop cleanly: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("serve did not stop within 30 s of SIGTERM")
		}
	}
	defer stop()
	waitReady(t, addr)
	fn(addr)
	stop()
	return stdout.String()
}

// loggedIn is a dashboard session of an account.
type loggedIn struct {
	t      *testing.T
	addr   string
	client *http.Client
}

func login(t *testing.T, addr, email, password string) (*loggedIn, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := c.Post("http://"+addr+"/api/auth/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return &loggedIn{t, addr, c}, resp.StatusCode
}

// roles lists the sites of the account with its role on each.
func (l *loggedIn) roles() map[string]string {
	l.t.Helper()
	resp, err := l.client.Get("http://" + l.addr + "/api/sites")
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Sites []struct{ Domain, Role string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		l.t.Fatalf("GET /api/sites: %d %v", resp.StatusCode, err)
	}
	m := map[string]string{}
	for _, s := range out.Sites {
		m[s.Domain] = s.Role
	}
	return m
}

func wantCLI(t *testing.T, what string, r result, ok bool, want string) {
	t.Helper()
	if (r.code == 0) != ok {
		t.Fatalf("%s: exit %d, want success=%v: %+v", what, r.code, ok, r)
	}
	out := r.stdout
	if !ok {
		out = r.stderr
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Fatalf("%s: want a one-line error: %q", what, r.stderr)
		}
	}
	if !strings.Contains(out, want) {
		t.Fatalf("%s: want %q in %+v", what, want, r)
	}
}

// The ops commands against a running server, through its admin socket:
// a client's site with its owner, accounts with a role, keys only for
// accounts that may read the site.
func TestOpsCommands(t *testing.T) {
	data := t.TempDir()
	addr, _ := startServe(t, "--data", data, "--bootstrap-user", "ops@example.fr")
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}

	wantCLI(t, "site add, unknown owner", cli("", "site", "add", "boulangerie.fr", "--owner", "claire@boulangerie.fr"), false, "claire@boulangerie.fr")
	wantCLI(t, "no site made for an unknown owner", cli("", "site", "list"), true, "DOMAIN")
	if r := cli("", "site", "list"); strings.Contains(r.stdout, "boulangerie.fr") {
		t.Fatalf("a site was added for an unknown owner: %+v", r)
	}
	wantCLI(t, "user add", cli("pain au levain 1\n", "user", "add", "--email", "claire@boulangerie.fr", "--password-stdin"), true, "added user claire@boulangerie.fr")
	wantCLI(t, "site add --owner", cli("", "site", "add", "boulangerie.fr", "--owner", "claire@boulangerie.fr"), true, "owner claire@boulangerie.fr")

	// A new account with a role on the site.
	wantCLI(t, "user add with a role", cli("sel et farine 22\n", "user", "add", "--email", "marc@agence.fr", "--password-stdin",
		"--site", "boulangerie.fr", "--role", "viewer"), true, "viewer of boulangerie.fr")
	// An existing account: the membership alone, no password asked.
	wantCLI(t, "user add --site for an existing account", cli("", "user", "add", "--email", "ops@example.fr",
		"--site", "boulangerie.fr", "--role", "admin"), true, "admin of boulangerie.fr")
	wantCLI(t, "role change", cli("", "user", "add", "--email", "marc@agence.fr", "--site", "boulangerie.fr", "--role", "admin"),
		true, "admin of boulangerie.fr")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown account without a password", []string{"user", "add", "--email", "nobody@agence.fr", "--site", "boulangerie.fr", "--role", "viewer"}, "--password-stdin"},
		{"unknown site", []string{"user", "add", "--email", "marc@agence.fr", "--site", "nope.fr", "--role", "viewer"}, "not found"},
		{"bad role", []string{"user", "add", "--email", "marc@agence.fr", "--site", "boulangerie.fr", "--role", "god"}, "role"},
		{"site without role", []string{"user", "add", "--email", "marc@agence.fr", "--site", "boulangerie.fr"}, "--role"},
		{"role without site", []string{"user", "add", "--email", "marc@agence.fr", "--role", "viewer"}, "--site"},
		{"last owner demoted", []string{"user", "add", "--email", "claire@boulangerie.fr", "--site", "boulangerie.fr", "--role", "viewer"}, "owner"},
	} {
		wantCLI(t, tt.name, cli("", tt.args...), false, tt.want)
	}
	// A bad role does not leave an account behind.
	wantCLI(t, "new account, bad role", cli("mot de passe 333\n", "user", "add", "--email", "lea@agence.fr", "--password-stdin",
		"--site", "boulangerie.fr", "--role", "god"), false, "role")
	wantCLI(t, "the account was not made", cli("", "user", "add", "--email", "lea@agence.fr", "--site", "boulangerie.fr", "--role", "viewer"),
		false, "--password-stdin")

	claire, status := login(t, addr, "claire@boulangerie.fr", "pain au levain 1")
	if status != 200 {
		t.Fatalf("owner login: %d", status)
	}
	if got := claire.roles(); got["boulangerie.fr"] != "owner" {
		t.Fatalf("claire's sites: %v", got)
	}
	marc, status := login(t, addr, "marc@agence.fr", "sel et farine 22")
	if status != 200 {
		t.Fatalf("viewer login: %d", status)
	}
	if got := marc.roles(); got["boulangerie.fr"] != "admin" || len(got) != 1 {
		t.Fatalf("marc's sites: %v", got)
	}

	// Keys: only for an account that may read the site.
	wantCLI(t, "user add", cli("un autre mot 4444\n", "user", "add", "--email", "outsider@ailleurs.fr", "--password-stdin"), true, "added user")
	wantCLI(t, "apikey for a non-member", cli("", "apikey", "create", "--site", "boulangerie.fr", "--email", "outsider@ailleurs.fr"),
		false, "outsider@ailleurs.fr cannot read boulangerie.fr")
	r := cli("", "apikey", "create", "--site", "boulangerie.fr", "--email", "marc@agence.fr")
	wantCLI(t, "apikey for a member", r, true, "sk_")
	statsQuery(t, addr, strings.TrimSpace(r.stdout), `{"site_id":"boulangerie.fr","metrics":["visitors"],"date_range":"7d"}`)
}

// A key acts for its account: for an account that is not a member of the
// site it would answer 403 to every query, so it is not made.
func TestAPIKeyRefusesNonMember(t *testing.T) {
	data := t.TempDir()
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}
	wantCLI(t, "site add", cli("", "site", "add", "atelier.fr"), true, "added site atelier.fr")
	wantCLI(t, "user add", cli("un mot de passe 1\n", "user", "add", "--email", "paul@ailleurs.fr", "--password-stdin"), true, "added user")
	wantCLI(t, "apikey for a non-member", cli("", "apikey", "create", "--site", "atelier.fr", "--email", "paul@ailleurs.fr"),
		false, "paul@ailleurs.fr cannot read atelier.fr")
}

// An operator named from the command line, and a password reset link that
// works once.
func TestOperatorAndResetPassword(t *testing.T) {
	data := t.TempDir()
	addr, _ := startServe(t, "--data", data, "--bootstrap-user", "first@example.fr")
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}
	wantCLI(t, "user add --operator", cli("mot de passe op 1\n", "user", "add", "--email", "op2@example.fr", "--password-stdin", "--operator"),
		true, "op2@example.fr is an operator")
	op, status := login(t, addr, "op2@example.fr", "mot de passe op 1")
	if status != 200 {
		t.Fatalf("login: %d", status)
	}
	resp, err := op.client.Get("http://" + addr + "/api/instance")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/instance as the new operator: %v %v", resp, err)
	}
	resp.Body.Close()

	wantCLI(t, "reset without --public-url", cli("", "user", "reset-password", "--email", "op2@example.fr"), false, "--public-url")
	wantCLI(t, "reset of an unknown account", cli("", "user", "reset-password", "--email", "nobody@example.fr", "--public-url", "https://stats.example.fr"), false, "not found")
	r := cli("", "user", "reset-password", "--email", "op2@example.fr", "--public-url", "https://stats.example.fr/")
	wantCLI(t, "reset-password", r, true, "https://stats.example.fr/reset/")
	link := strings.Fields(r.stdout)[0]
	token := strings.TrimPrefix(link, "https://stats.example.fr/reset/")
	reset := func() int {
		b, _ := json.Marshal(map[string]string{"token": token, "password": "un tout nouveau mot"})
		resp, err := http.Post("http://"+addr+"/api/auth/reset", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := reset(); s != 204 {
		t.Fatalf("reset with the printed link: %d", s)
	}
	if s := reset(); s == 204 {
		t.Fatal("the reset link worked twice")
	}
	if _, status := login(t, addr, "op2@example.fr", "un tout nouveau mot"); status != 200 {
		t.Fatalf("login with the new password: %d", status)
	}
}

// call sends a JSON request with the session's CSRF token and decodes the
// answer into out (when given); it returns the status.
func (l *loggedIn) call(method, path, csrf string, body, out any) int {
	l.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+l.addr+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := l.client.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			l.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// loginAnswer is what POST /api/auth/login says.
type loginAnswer struct {
	CSRFToken    string `json:"csrf_token"`
	SecondFactor string `json:"second_factor"`
}

func loginAnswering(t *testing.T, addr, email, password string) (*loggedIn, loginAnswer) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	l := &loggedIn{t, addr, &http.Client{Jar: jar}}
	var a loginAnswer
	if s := l.call("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, &a); s != 200 {
		t.Fatalf("login %s: %d", email, s)
	}
	return l, a
}

// A member who lost both the phone and the recovery codes: an operator
// removes the second factor from the command line, through the running
// server; the member's sessions end and the password alone logs in again.
// The server logs the account's id, not its email.
func TestResetTwoFactor(t *testing.T) {
	data := t.TempDir()
	addr, _, logs := startServeLogged(t, "--data", data)
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}
	wantCLI(t, "user add", cli("pain au levain 1\n", "user", "add", "--email", "claire@boulangerie.fr", "--password-stdin"), true, "added user")

	claire, a := loginAnswering(t, addr, "claire@boulangerie.fr", "pain au levain 1")
	var e struct{ Secret string }
	if s := claire.call("POST", "/api/auth/totp/enrol", a.CSRFToken, nil, &e); s != 200 || e.Secret == "" {
		t.Fatalf("enrol: %d %+v", s, e)
	}
	code, err := totp.GenerateCode(e.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s := claire.call("POST", "/api/auth/totp/confirm", a.CSRFToken, map[string]string{"code": code}, nil); s != 200 {
		t.Fatalf("confirm: %d", s)
	}
	if _, a := loginAnswering(t, addr, "claire@boulangerie.fr", "pain au levain 1"); a.SecondFactor != "totp" || a.CSRFToken != "" {
		t.Fatalf("login with the second factor on: %+v", a)
	}

	wantCLI(t, "reset-2fa without --email", cli("", "user", "reset-2fa"), false, "--email")
	wantCLI(t, "reset-2fa of an unknown account", cli("", "user", "reset-2fa", "--email", "nobody@boulangerie.fr"), false, "not found")
	r := cli("", "user", "reset-2fa", "--email", "claire@boulangerie.fr")
	wantCLI(t, "reset-2fa", r, true, "removed the second factor of claire@boulangerie.fr; its sessions ended through")
	if s := claire.call("GET", "/api/auth/me", "", nil, nil); s != 401 {
		t.Fatalf("the session before the reset: GET /api/auth/me %d, want 401", s)
	}
	if _, a := loginAnswering(t, addr, "claire@boulangerie.fr", "pain au levain 1"); a.SecondFactor != "" || a.CSRFToken == "" {
		t.Fatalf("login after reset-2fa: %+v", a)
	}
	wantCLI(t, "reset-2fa again", cli("", "user", "reset-2fa", "--email", "claire@boulangerie.fr"), true,
		"claire@boulangerie.fr had no second factor; its sessions ended through")

	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "second factor removed") {
			line = l
			break
		}
	}
	if line == "" || strings.Contains(line, "claire") || !strings.Contains(line, "user=") {
		t.Fatalf("the removal's log line: %q", line)
	}
}

// Without a running server, reset-2fa opens the data folder itself.
func TestResetTwoFactorOffline(t *testing.T) {
	data := t.TempDir()
	cli := func(stdin string, args ...string) result {
		return runCLI(t, nil, stdin, append(args, "--data", data)...)
	}
	wantCLI(t, "user add", cli("un mot de passe 1\n", "user", "add", "--email", "paul@atelier.fr", "--password-stdin"), true, "added user")
	wantCLI(t, "reset-2fa", cli("", "user", "reset-2fa", "--email", "paul@atelier.fr"), true, "paul@atelier.fr had no second factor")
}
