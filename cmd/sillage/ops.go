package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sillage-analytics/sillage"
	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/internal/admin"
)

// AddSite registers a domain, owned by the account ownerEmail when given:
// that account must exist, so a typo makes no site. An account made from
// the command line or by first-run setup becomes owner at once; any other
// (made by accepting an invitation link, or older than the record of
// origins) is invited instead, and the link printed: an account made by a
// link belongs to whoever held it, maybe not the person the operator
// means. Without an owner, the first account adopts the site.
func (o *localOps) AddSite(ctx context.Context, domain, timezone, ownerEmail string) (admin.SiteResult, error) {
	if ownerEmail == "" {
		site, err := o.AddOwnerlessSite(ctx, domain, timezone)
		return admin.SiteResult{Site: site}, err
	}
	u, err := o.UserByEmail(ctx, ownerEmail)
	if errors.Is(err, accounts.ErrNotFound) {
		return admin.SiteResult{}, fmt.Errorf("no account %s: create it first with 'sillage user add --email %s --password-stdin'", ownerEmail, ownerEmail)
	}
	if err != nil {
		return admin.SiteResult{}, err
	}
	direct, err := o.MadeDirectly(ctx, u.ID)
	if err != nil {
		return admin.SiteResult{}, err
	}
	if direct {
		site, err := o.AddSiteWithOwner(ctx, u.ID, domain, timezone)
		return admin.SiteResult{Site: site}, err
	}
	site, err := o.Service.AddSite(ctx, domain, timezone)
	if err != nil {
		return admin.SiteResult{}, err
	}
	inv, err := o.invite(ctx, site, u.Email, sillage.RoleOwner)
	if err != nil {
		// The site stays, without owner: the operator can invite again.
		return admin.SiteResult{Site: site}, fmt.Errorf("site %s added, but its owner's invitation failed: %w", site.Domain, err)
	}
	return admin.SiteResult{Site: site, Invited: &inv}, nil
}

// invite makes an invitation from the command line (no inviter).
func (o *localOps) invite(ctx context.Context, site sillage.Site, email string, role sillage.Role) (admin.Invited, error) {
	inv, token, err := o.CreateInvitation(ctx, site.ID, email, role, "")
	if err != nil {
		return admin.Invited{}, err
	}
	return admin.Invited{Email: inv.Email, Domain: site.Domain, Role: inv.Role, Token: token, Expires: inv.ExpiresAt}, nil
}

// AddUser checks everything it can before it creates an account, so a bad
// role or an unknown site leaves no account behind.
func (o *localOps) AddUser(ctx context.Context, c admin.UserChange) (admin.UserResult, error) {
	var res admin.UserResult
	switch {
	case c.Email == "":
		return res, errors.New("--email is required")
	case c.Site != "" && c.Role == "":
		return res, errors.New("--site needs --role owner, admin or viewer")
	case c.Role != "" && c.Site == "":
		return res, errors.New("--role needs --site DOMAIN")
	case c.Role != "" && !accounts.ValidRole(c.Role):
		return res, fmt.Errorf("invalid role %q: owner, admin or viewer", c.Role)
	case !c.Create && c.Site == "" && !c.Operator:
		return res, errors.New("nothing to do: give --password-stdin to create the account, --site and --role to give it a role, or --operator")
	}
	var site sillage.Site
	if c.Site != "" {
		var err error
		if site, err = o.SiteByDomain(ctx, c.Site); err != nil {
			return res, err
		}
	}
	if c.Create {
		u, err := o.Service.AddUser(ctx, c.Email, c.Password)
		if errors.Is(err, accounts.ErrExists) && c.Site != "" {
			return res, fmt.Errorf("%w: leave out --password-stdin to give it a role", err)
		}
		if err != nil {
			return res, err
		}
		res.User, res.Created = u, true
	} else {
		u, err := o.UserByEmail(ctx, c.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			return res, fmt.Errorf("no account %s: give --password-stdin to create it", c.Email)
		}
		if err != nil {
			return res, err
		}
		res.User = u
	}
	if c.Site != "" && !res.Created {
		// Access for an account that is not yet a member goes through an
		// invitation, unless the command line or setup made the account;
		// a member's role changes directly.
		_, err := o.RoleOf(ctx, res.User.ID, site.ID)
		member := err == nil
		if err != nil && !errors.Is(err, accounts.ErrNotFound) {
			return res, err
		}
		direct, err := o.MadeDirectly(ctx, res.User.ID)
		if err != nil {
			return res, err
		}
		if !member && !direct {
			inv, err := o.invite(ctx, site, res.User.Email, c.Role)
			if err != nil {
				return res, err
			}
			res.Invited = &inv
		}
	}
	if c.Site != "" && res.Invited == nil {
		m, err := o.AddMember(ctx, site.ID, res.User.Email, c.Role)
		if errors.Is(err, accounts.ErrLastOwner) {
			return res, fmt.Errorf("%s is the last owner of %s: make another account owner first", res.User.Email, site.Domain)
		}
		if err != nil {
			return res, err
		}
		res.Site, res.Role = site.Domain, m.Role
	}
	if c.Operator {
		if err := o.setOperator(ctx, res.User.ID); err != nil {
			return res, err
		}
		res.Operator = true
	}
	return res, nil
}

// setOperator makes an account an operator of the instance.
func (o *localOps) setOperator(ctx context.Context, userID string) error {
	return o.SetOperator(ctx, userID, true)
}

// ResetPassword makes a single-use link for an account to set a new
// password; earlier links of the account stop working.
func (o *localOps) ResetPassword(ctx context.Context, email string) (admin.PasswordReset, error) {
	u, err := o.UserByEmail(ctx, email)
	if err != nil {
		return admin.PasswordReset{}, err
	}
	token, expires, err := o.CreatePasswordReset(ctx, u.ID)
	if err != nil {
		return admin.PasswordReset{}, err
	}
	return admin.PasswordReset{UserID: u.ID, Email: u.Email, Token: token, Expires: expires}, nil
}

// ResetTOTP removes the second factor of an account that lost it, and
// ends the account's sessions.
func (o *localOps) ResetTOTP(ctx context.Context, email string) (admin.TOTPReset, error) {
	u, err := o.UserByEmail(ctx, email)
	if err != nil {
		return admin.TOTPReset{}, err
	}
	had, err := o.RemoveTOTP(ctx, u.ID)
	if err != nil {
		return admin.TOTPReset{}, err
	}
	return admin.TOTPReset{UserID: u.ID, Email: u.Email, Had: had}, nil
}
