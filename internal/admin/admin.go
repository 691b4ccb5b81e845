// Package admin lets the command line manage a running server. The embedded
// engine locks its data folder, so `sillage site add` and friends talk to the
// running `sillage serve` over a Unix socket in that folder (mode 0600: only
// the account that runs the server may use it) instead of opening it.
package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/sillage-analytics/sillage"
)

// Ops are the operations the command line performs.
type Ops interface {
	// AddSite registers a domain; ownerEmail, when given, names the
	// existing account that becomes its owner, or that is invited to be
	// (see SiteResult).
	AddSite(ctx context.Context, domain, timezone, ownerEmail string) (SiteResult, error)
	Sites(ctx context.Context) ([]sillage.Site, error)
	// AddUser creates an account, gives an account a role on a site, or
	// both; see UserChange.
	AddUser(ctx context.Context, c UserChange) (UserResult, error)
	// ResetPassword makes a single-use password reset link's token for
	// the account email.
	ResetPassword(ctx context.Context, email string) (PasswordReset, error)
	// ResetTOTP removes the second factor of the account email and ends
	// its sessions.
	ResetTOTP(ctx context.Context, email string) (TOTPReset, error)
	// Demo fills a site with synthetic traffic and returns the events added.
	Demo(ctx context.Context, domain string, events uint64, days int) (uint64, error)
	// CreateAPIKey makes a Stats API key for a site, owned by the account
	// email (default: the site's first owner), and returns it: it is shown
	// this once and stored only hashed.
	CreateAPIKey(ctx context.Context, domain, email, name string) (string, error)
}

// SocketPath is the admin socket of a data folder. Unix socket paths are
// limited to about 100 bytes; a deeper folder gets one in this user's
// private folder of the temp folder, named after a hash of the data
// folder's path.
func SocketPath(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	p := filepath.Join(abs, "admin.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(tempSocketDir(), hex.EncodeToString(sum[:8])+".sock")
}

// tempSocketDir holds the sockets of deep data folders. It is this user's
// alone: in a shared temp folder, another user could otherwise bind the
// predictable path first and receive what the command line sends (a new
// account's password).
func tempSocketDir() string {
	return filepath.Join(os.TempDir(), "sillage-"+strconv.Itoa(os.Geteuid()))
}

// ownedBySelf checks that path belongs to this user and that nobody else
// may write there (for a folder) or connect to it (for a socket).
func ownedBySelf(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	owner := -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		owner = int(sys.Uid)
	}
	if owner != os.Geteuid() || st.Mode()&os.ModeSymlink != 0 || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s must belong to this user alone (it is %v, owner %d): remove it", path, st.Mode(), owner)
	}
	return nil
}

type addSiteRequest struct {
	Domain   string `json:"domain"`
	Timezone string `json:"timezone"`
	Owner    string `json:"owner,omitempty"`
}

// UserChange is what `sillage user add` asks for.
type UserChange struct {
	Email string `json:"email"`
	// Create makes the account with Password; otherwise it must exist.
	Create   bool   `json:"create"`
	Password string `json:"password,omitempty"`
	// Site and Role, together, give the account that role on the site (or
	// change its role there).
	Site string       `json:"site,omitempty"`
	Role sillage.Role `json:"role,omitempty"`
	// Operator makes the account an operator of the instance.
	Operator bool `json:"operator,omitempty"`
}

// UserResult says what AddUser did: Site and Role when the account got
// the role, Invited instead when it was invited to the site.
type UserResult struct {
	User     sillage.User `json:"user"`
	Created  bool         `json:"created"`
	Site     string       `json:"site,omitempty"`
	Role     sillage.Role `json:"role,omitempty"`
	Invited  *Invited     `json:"invited,omitempty"`
	Operator bool         `json:"operator,omitempty"`
}

// SiteResult is an added site, and the invitation of its owner when the
// owner's account is not one the command line may grant a site directly.
type SiteResult struct {
	sillage.Site
	Invited *Invited `json:"invited,omitempty"`
}

// Invited is an invitation made instead of a direct grant, for an account
// made by accepting an invitation link (held by whoever had that link,
// maybe not the person its email names) or older than the record of
// origins. Its token travels over the socket only, to be printed once and
// handed to the person meant.
type Invited struct {
	Email   string       `json:"email"`
	Domain  string       `json:"domain"`
	Role    sillage.Role `json:"role"`
	Token   string       `json:"token"`
	Expires time.Time    `json:"expires"`
}

type resetRequest struct {
	Email string `json:"email"`
}

// PasswordReset is a reset link's token: it travels over the socket only,
// to be printed once.
type PasswordReset struct {
	UserID  string    `json:"user_id"`
	Email   string    `json:"email"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// TOTPReset says whose second factor ResetTOTP removed, and whether the
// account had one.
type TOTPReset struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Had    bool   `json:"had"`
}

type demoRequest struct {
	Domain string `json:"domain"`
	Events uint64 `json:"events"`
	Days   int    `json:"days"`
}

type apiKeyRequest struct {
	Domain string `json:"domain"`
	Email  string `json:"email"`
	Name   string `json:"name"`
}

type apiKeyResponse struct {
	Key string `json:"key"`
}

type demoResponse struct {
	Events uint64 `json:"events"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// Handler serves Ops as JSON over HTTP.
func Handler(ops Ops, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			v = errorResponse{err.Error()}
		}
		if err := json.NewEncoder(w).Encode(v); err != nil {
			log.Warn("admin: write response", "error", err)
		}
	}
	decode := func(r *http.Request, v any) error {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(v); err != nil {
			return fmt.Errorf("malformed request: %w", err)
		}
		return nil
	}
	mux.HandleFunc("GET /sites", func(w http.ResponseWriter, r *http.Request) {
		sites, err := ops.Sites(r.Context())
		reply(w, sites, err)
	})
	mux.HandleFunc("POST /sites", func(w http.ResponseWriter, r *http.Request) {
		var req addSiteRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		site, err := ops.AddSite(r.Context(), req.Domain, req.Timezone, req.Owner)
		if err == nil {
			log.Info("site added over the admin socket", "domain", site.Domain, "id", site.ID, "owner", req.Owner != "",
				"owner_invited", site.Invited != nil)
		}
		reply(w, site, err)
	})
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var req UserChange
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		res, err := ops.AddUser(r.Context(), req)
		if err == nil {
			// The account's id, not its email: logs keep no personal data.
			log.Info("user changed over the admin socket", "user", res.User.ID, "created", res.Created,
				"site", res.Site, "role", res.Role, "invited", res.Invited != nil, "operator", res.Operator)
		}
		reply(w, res, err)
	})
	mux.HandleFunc("POST /password-resets", func(w http.ResponseWriter, r *http.Request) {
		var req resetRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		res, err := ops.ResetPassword(r.Context(), req.Email)
		if err == nil {
			log.Info("password reset link made over the admin socket", "user", res.UserID, "expires", res.Expires)
		}
		reply(w, res, err)
	})
	mux.HandleFunc("POST /totp-resets", func(w http.ResponseWriter, r *http.Request) {
		var req resetRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		res, err := ops.ResetTOTP(r.Context(), req.Email)
		if err == nil {
			log.Info("second factor removed over the admin socket; every session ended", "user", res.UserID, "had", res.Had)
		}
		reply(w, res, err)
	})
	mux.HandleFunc("POST /demo", func(w http.ResponseWriter, r *http.Request) {
		var req demoRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		n, err := ops.Demo(r.Context(), req.Domain, req.Events, req.Days)
		if err == nil {
			log.Info("demo traffic added over the admin socket", "domain", req.Domain, "events", n)
		}
		reply(w, demoResponse{n}, err)
	})
	mux.HandleFunc("POST /apikeys", func(w http.ResponseWriter, r *http.Request) {
		var req apiKeyRequest
		if err := decode(r, &req); err != nil {
			reply(w, nil, err)
			return
		}
		key, err := ops.CreateAPIKey(r.Context(), req.Domain, req.Email, req.Name)
		if err == nil {
			log.Info("API key created over the admin socket", "domain", req.Domain)
		}
		reply(w, apiKeyResponse{key}, err)
	})
	if io, ok := ops.(ImportOps); ok {
		handleImports(mux, io, log, reply, decode)
	}
	return mux
}

// Listen opens the admin socket; a stale socket left by a killed server is
// replaced (the data folder's lock proves no other server runs).
func Listen(path string) (net.Listener, error) {
	if dir := filepath.Dir(path); dir == tempSocketDir() {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("admin socket folder: %w", err)
		}
		if err := ownedBySelf(dir); err != nil {
			return nil, fmt.Errorf("admin socket folder: %w", err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin socket %s: remove the stale one: %w", path, err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	return l, nil
}

// Client is Ops on a running server.
type Client struct {
	http *http.Client
	path string
}

// ErrNoServer means no server answers on the socket.
var ErrNoServer = errors.New("no running sillage server on this data folder")

// Dial connects to the server of a data folder, or returns ErrNoServer. A
// socket that is not this user's is refused: what the command line sends
// must reach our own server only.
func Dial(path string) (*Client, error) {
	if err := ownedBySelf(path); err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, ErrNoServer
		case os.Geteuid() == 0 && filepath.Dir(path) != tempSocketDir():
			// root reaching the service user's server in its data folder
		default:
			return nil, fmt.Errorf("admin socket: %w", err)
		}
	}
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, ErrNoServer
	}
	conn.Close()
	return &Client{path: path, http: &http.Client{
		// Generous: demo traffic of 100 M events takes minutes.
		Timeout: time.Hour,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}}, nil
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://sillage"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket %s: %w", c.path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e errorResponse
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == "" {
			return fmt.Errorf("admin socket %s: HTTP %d", c.path, resp.StatusCode)
		}
		return errors.New(e.Error)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *Client) AddSite(ctx context.Context, domain, timezone, ownerEmail string) (SiteResult, error) {
	var s SiteResult
	err := c.call(ctx, http.MethodPost, "/sites", addSiteRequest{domain, timezone, ownerEmail}, &s)
	return s, err
}

func (c *Client) Sites(ctx context.Context) ([]sillage.Site, error) {
	var s []sillage.Site
	err := c.call(ctx, http.MethodGet, "/sites", nil, &s)
	return s, err
}

func (c *Client) AddUser(ctx context.Context, uc UserChange) (UserResult, error) {
	var res UserResult
	err := c.call(ctx, http.MethodPost, "/users", uc, &res)
	return res, err
}

func (c *Client) ResetPassword(ctx context.Context, email string) (PasswordReset, error) {
	var res PasswordReset
	err := c.call(ctx, http.MethodPost, "/password-resets", resetRequest{email}, &res)
	return res, err
}

func (c *Client) ResetTOTP(ctx context.Context, email string) (TOTPReset, error) {
	var res TOTPReset
	err := c.call(ctx, http.MethodPost, "/totp-resets", resetRequest{email}, &res)
	return res, err
}

func (c *Client) Demo(ctx context.Context, domain string, events uint64, days int) (uint64, error) {
	var r demoResponse
	err := c.call(ctx, http.MethodPost, "/demo", demoRequest{domain, events, days}, &r)
	return r.Events, err
}

func (c *Client) CreateAPIKey(ctx context.Context, domain, email, name string) (string, error) {
	var r apiKeyResponse
	err := c.call(ctx, http.MethodPost, "/apikeys", apiKeyRequest{domain, email, name}, &r)
	return r.Key, err
}
