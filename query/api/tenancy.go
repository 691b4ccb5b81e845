package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
)

// link makes an absolute dashboard link from a path, on the host the
// request came to: the inviter copies it from the dashboard they use.
func (a *API) link(r *http.Request, path string) string {
	scheme := "http"
	if a.secureRequest(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

type instanceJSON struct {
	MembersAddSites bool `json:"members_add_sites"`
}

func (a *API) getInstance(w http.ResponseWriter, r *http.Request) error {
	inst, err := a.acc.Instance(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, instanceJSON(inst))
	return nil
}

type instanceChange struct {
	MembersAddSites *bool `json:"members_add_sites"`
}

func (a *API) patchInstance(w http.ResponseWriter, r *http.Request) error {
	var req instanceChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	inst, err := a.acc.Instance(ctx)
	if err != nil {
		return err
	}
	if req.MembersAddSites != nil {
		inst.MembersAddSites = *req.MembersAddSites
	}
	if err := a.acc.SetInstance(ctx, inst); err != nil {
		return err
	}
	a.log.Info("instance settings changed", "members_add_sites", inst.MembersAddSites, "user", granted(r).sess.user.ID)
	writeJSON(w, http.StatusOK, instanceJSON(inst))
	return nil
}

// invitationJSON is an invitation as its inviter sees it: whether the
// email has an account is left out, or any admin could test which emails
// have one on the instance.
type invitationJSON struct {
	ID        string       `json:"id,omitempty"`
	Email     string       `json:"email"`
	Role      sillage.Role `json:"role"`
	Domain    string       `json:"domain"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func toInvitationJSON(inv accounts.Invitation) invitationJSON {
	return invitationJSON{ID: inv.ID, Email: inv.Email, Role: inv.Role, Domain: inv.Domain,
		CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
}

// inviteeJSON is an invitation as the link's holder sees it: HasAccount
// tells them to log in as the invited email or to choose a password.
type inviteeJSON struct {
	invitationJSON
	HasAccount bool `json:"has_account"`
}

// listInvitations shows a site's pending invitations, without their links:
// a lost link is replaced by inviting the email again.
func (a *API) listInvitations(w http.ResponseWriter, r *http.Request) error {
	invs, err := a.acc.Invitations(r.Context(), granted(r).site.ID)
	if err != nil {
		return err
	}
	out := make([]invitationJSON, 0, len(invs))
	for _, inv := range invs {
		out = append(out, toInvitationJSON(inv))
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	g := granted(r)
	ctx := r.Context()
	invs, err := a.acc.Invitations(ctx, g.site.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.ID == r.PathValue("id") && inv.Role == sillage.RoleOwner && g.acc.Role != sillage.RoleOwner {
			return forbidden("only an owner can revoke an owner's invitation")
		}
	}
	if err := a.acc.RevokeInvitation(ctx, g.site.ID, r.PathValue("id")); err != nil {
		return err
	}
	a.log.Info("invitation revoked", "site", g.site.Domain, "invitation", r.PathValue("id"), "by", g.acc.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getInvitation shows the invitee what the link offers, and whether to
// choose a password (no account yet) or to log in as the invited email.
func (a *API) getInvitation(w http.ResponseWriter, r *http.Request) error {
	inv, err := a.invitationByToken(r, r.PathValue("token"))
	if err != nil {
		return err
	}
	j := inviteeJSON{invitationJSON: toInvitationJSON(inv), HasAccount: inv.HasAccount}
	j.ID = "" // the id revokes; the invitee has no use for it
	writeJSON(w, http.StatusOK, j)
	return nil
}

type acceptRequest struct {
	// Password is the new account's, when the email has none yet.
	Password string `json:"password"`
}

type acceptedJSON struct {
	Domain string       `json:"domain"`
	Role   sillage.Role `json:"role"`
}

// acceptInvitation joins the site. Logged in (with the CSRF token), the
// account must be the invited email's; without a login, the email must
// have no account yet, and the body's password creates it and logs in.
func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var req acceptRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	secret := r.PathValue("token")
	// Cheap check first: a wrong link costs no password hash.
	inv, err := a.invitationByToken(r, secret)
	if err != nil {
		return err
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		switch _, err := a.sessionUser(r, c.Value); {
		case err == nil:
			s, err := a.requireSession(r)
			if err != nil {
				return err
			}
			inv, err := a.acc.AcceptInvitation(ctx, secret, s.user.ID)
			if err != nil {
				return err
			}
			a.log.Info("invitation accepted", "site", inv.Domain, "invitation", inv.ID, "user", s.user.ID)
			writeJSON(w, http.StatusOK, acceptedJSON{Domain: inv.Domain, Role: inv.Role})
			return nil
		case !errors.Is(err, accounts.ErrNotFound):
			return err
		}
	}
	if inv.HasAccount {
		return unauthenticated("log in as " + inv.Email + " to accept this invitation")
	}
	var u sillage.User
	var acceptErr error
	if err := a.slowCheck(ctx, func() { u, inv, acceptErr = a.acc.AcceptInvitationNewAccount(ctx, secret, req.Password) }); err != nil {
		return err
	}
	if acceptErr != nil {
		return acceptErr
	}
	a.log.Info("account created by accepting an invitation", "site", inv.Domain, "invitation", inv.ID, "user", u.ID)
	return a.startSession(w, r, u, http.StatusCreated)
}

func (a *API) declineInvitation(w http.ResponseWriter, r *http.Request) error {
	s := granted(r).sess
	if err := a.acc.DeclineInvitation(r.Context(), r.PathValue("token"), s.user.ID); err != nil {
		return err
	}
	a.log.Info("invitation declined", "user", s.user.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type resetJSON struct {
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// getReset tells the reset page whose password the link sets.
func (a *API) getReset(w http.ResponseWriter, r *http.Request) error {
	u, exp, err := a.resetByToken(r, r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resetJSON{Email: u.Email, ExpiresAt: exp})
	return nil
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// postReset sets a new password with a reset link, once; every session of
// the account ends, and the user logs in with the new password.
func (a *API) postReset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	if _, _, err := a.resetByToken(r, req.Token); err != nil {
		return err // before hashing: a wrong link costs no password hash
	}
	var u sillage.User
	var resetErr error
	if err := a.slowCheck(ctx, func() { u, resetErr = a.acc.ResetPassword(ctx, req.Token, req.Password) }); err != nil {
		return err
	}
	if resetErr != nil {
		return resetErr
	}
	a.log.Info("password reset by link; every session ended", "user", u.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// invitationByToken reads an invitation link's offer. A link is a
// credential: a made-up one counts against the client's network like an
// unknown session (lookup), so guessing cannot tie up the engine.
func (a *API) invitationByToken(r *http.Request, token string) (accounts.Invitation, error) {
	var inv accounts.Invitation
	err := a.lookup(r, "invitation\x00"+token, func() error {
		var err error
		inv, err = a.acc.InvitationByToken(r.Context(), token)
		return err
	}, isBadToken)
	return inv, err
}

// resetByToken reads a reset link's account, counted like invitationByToken.
func (a *API) resetByToken(r *http.Request, token string) (sillage.User, time.Time, error) {
	var u sillage.User
	var exp time.Time
	err := a.lookup(r, "reset\x00"+token, func() error {
		var err error
		u, exp, err = a.acc.PasswordResetByToken(r.Context(), token)
		return err
	}, isBadToken)
	return u, exp, err
}

func isBadToken(err error) bool { return errors.Is(err, accounts.ErrBadToken) }
