package imports

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/sillage-analytics/sillage/internal/seal"
	"github.com/sillage-analytics/sillage/store"
)

// The refresh tokens of GA4's OAuth flow live in ga4_connections
// (migration 0017), sealed: one row per connection (an hour, to list the
// properties and start imports) and one per OAuth import (until it ends),
// so that both outlive a restart. The key derives from the server's secret,
// as the mail outbox's does: whoever reads the store alone cannot use a
// token. A row's site and id are the seal's associated data, so a sealed
// token copied into another row does not open.

// ErrGA4NoSecret is an OAuth connection on a server without a secret to
// seal its token with.
var ErrGA4NoSecret = errors.New("imports: the server's secret is needed to keep a Google connection")

func (m *Manager) ga4Box() (seal.Box, error) {
	box, err := seal.New(m.Secret, "sillage ga4 refresh token")
	if errors.Is(err, seal.ErrShortSecret) {
		return seal.Box{}, ErrGA4NoSecret
	}
	if err != nil {
		return seal.Box{}, fmt.Errorf("imports: GA4 token key: %w", err)
	}
	return box, nil
}

func ga4SealContext(siteID uint32, id string) []byte {
	return []byte("ga4_connections\x00" + strconv.FormatUint(uint64(siteID), 10) + "\x00" + id)
}

func (m *Manager) sealGA4(siteID uint32, id, refresh string) (string, error) {
	box, err := m.ga4Box()
	if err != nil {
		return "", err
	}
	return box.Seal([]byte(refresh), ga4SealContext(siteID, id))
}

func (m *Manager) openGA4(siteID uint32, id, sealed string) (string, error) {
	box, err := m.ga4Box()
	if err != nil {
		return "", err
	}
	plain, err := box.Open(sealed, ga4SealContext(siteID, id))
	if err != nil {
		return "", fmt.Errorf("imports: a stored GA4 token does not open: %w", err)
	}
	return string(plain), nil
}

// storeGA4Token writes a sealed refresh token; a zero expires keeps it
// until deleted (an import's).
func (m *Manager) storeGA4Token(ctx context.Context, siteID uint32, id, userID string, importID uint64, refresh string, expires time.Time) error {
	sealed, err := m.sealGA4(siteID, id, refresh)
	if err != nil {
		return err
	}
	now := m.now().UTC()
	err = m.Engine.Exec(ctx, `INSERT INTO ga4_connections (site_id, id, user_id, import_id, refresh_token, expires_at, created_at, updated_at)
		VALUES ({site:UInt32}, {id:String}, {user:String}, {import:UInt64}, {token:String}, {expires:DateTime64(3, 'UTC')},
		{now:DateTime64(3, 'UTC')}, {now:DateTime64(6, 'UTC')})`,
		store.Params{"site": siteID, "id": id, "user": userID, "import": importID, "token": sealed, "expires": expires.UTC(), "now": now})
	if err != nil {
		return fmt.Errorf("imports: store a Google connection: %w", err)
	}
	return nil
}

// ga4Token reads a stored token: the refresh token of a row of the site,
// made by userID (any account when userID is empty), live at now.
func (m *Manager) ga4Token(ctx context.Context, siteID uint32, id, userID string) (*oauth2.Token, error) {
	var sealed, user string
	var importID uint64
	var expires time.Time
	err := store.QueryRow(ctx, m.Engine, `SELECT refresh_token, user_id, import_id, expires_at FROM ga4_connections FINAL
		WHERE site_id = {site:UInt32} AND id = {id:String}`, store.Params{"site": siteID, "id": id}, &sealed, &user, &importID, &expires)
	if errors.Is(err, store.ErrNoRows) {
		return nil, ErrGA4Connection
	}
	if err != nil {
		return nil, fmt.Errorf("imports: read a Google connection: %w", err)
	}
	if userID != "" && user != userID || importID == 0 && !m.now().Before(expires) {
		return nil, ErrGA4Connection
	}
	refresh, err := m.openGA4(siteID, id, sealed)
	if err != nil {
		return nil, err
	}
	// No access token: the client asks Google for one with the refresh
	// token at its first call.
	return &oauth2.Token{RefreshToken: refresh}, nil
}

// ga4JobToken is the row id of an OAuth import's token.
func ga4JobToken(id uint64) string { return "import-" + strconv.FormatUint(id, 10) }

// deleteGA4Token deletes the token an import kept, if any (the import
// ended, was cancelled or deleted).
func (m *Manager) deleteGA4Token(ctx context.Context, j Job) error {
	if j.Source != SourceGA4 {
		return nil
	}
	if err := m.Engine.Exec(ctx, "DELETE FROM ga4_connections WHERE site_id = {site:UInt32} AND import_id = {id:UInt64}",
		store.Params{"site": j.SiteID, "id": j.ID}); err != nil {
		return fmt.Errorf("imports: delete the Google token of import %d: %w", j.ID, err)
	}
	return nil
}

// pruneGA4Connections deletes the expired connections (imports' tokens
// have no expiry: they go with their import).
func (m *Manager) pruneGA4Connections(ctx context.Context) error {
	if err := m.Engine.Exec(ctx, "DELETE FROM ga4_connections WHERE import_id = 0 AND expires_at <= {now:DateTime64(3, 'UTC')}",
		store.Params{"now": m.now().UTC()}); err != nil {
		return fmt.Errorf("imports: delete expired Google connections: %w", err)
	}
	return nil
}

// deleteGA4Site deletes every Google connection and import token of a
// site.
func (m *Manager) deleteGA4Site(ctx context.Context, siteID uint32) error {
	if err := m.Engine.Exec(ctx, "DELETE FROM ga4_connections WHERE site_id = {site:UInt32}", store.Params{"site": siteID}); err != nil {
		return fmt.Errorf("imports: delete the Google connections of site %d: %w", siteID, err)
	}
	return nil
}
