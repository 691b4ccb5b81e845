package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sillage-analytics/sillage/accounts"
	"github.com/sillage-analytics/sillage/store/storetest"
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a code that none of the accepted steps around at has.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	taken := map[string]bool{}
	for d := -1; d <= 1; d++ {
		taken[totpCode(t, secret, at.Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !taken[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func TestTOTP(t *testing.T) {
	ctx := context.Background()
	// The middle of a 30-second step, so a step more or less is exact.
	now := time.Now().UTC().Truncate(30 * time.Second).Add(15 * time.Second)
	s := &accounts.Service{Engine: storetest.Migrated(t), Now: func() time.Time { return now }}
	u, err := s.AddUser(ctx, "claire@example.fr", "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	status := func(want accounts.TOTPStatus) {
		t.Helper()
		if got, err := s.TOTPStatus(ctx, u.ID); err != nil || got != want {
			t.Fatalf("status = %+v, %v; want %+v", got, err, want)
		}
	}
	status(accounts.TOTPStatus{})
	if _, err := s.ConfirmTOTP(ctx, u.ID, "123456"); !errors.Is(err, accounts.ErrTOTPDisabled) {
		t.Fatalf("confirm before enrolment: %v", err)
	}
	if err := s.CheckSecondFactor(ctx, u.ID, "123456"); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("check without TOTP: %v", err)
	}

	first, err := s.BeginTOTP(ctx, u.ID, "Sillage")
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.BeginTOTP(ctx, u.ID, "Sillage") // a second try replaces the first secret
	if err != nil {
		t.Fatal(err)
	}
	if e.Secret == first.Secret || !strings.HasPrefix(e.URI, "otpauth://totp/Sillage:claire@example.fr?") || !strings.Contains(e.URI, "secret="+e.Secret) {
		t.Fatalf("enrolment %+v", e)
	}
	status(accounts.TOTPStatus{}) // not on before a first code
	if _, err := s.ConfirmTOTP(ctx, u.ID, totpCode(t, first.Secret, now)); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("the replaced secret's code: %v", err)
	}
	codes, err := s.ConfirmTOTP(ctx, u.ID, totpCode(t, e.Secret, now))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != accounts.RecoveryCodes || len(codes[0]) != 11 || codes[0] == codes[1] {
		t.Fatalf("recovery codes %q", codes)
	}
	status(accounts.TOTPStatus{Enabled: true, RecoveryCodesLeft: 10})
	if _, err := s.BeginTOTP(ctx, u.ID, "Sillage"); !errors.Is(err, accounts.ErrTOTPEnabled) {
		t.Fatalf("enrol again while on: %v", err)
	}

	tests := []struct {
		name    string
		advance time.Duration
		code    func() string
		want    error
	}{
		{"the confirming code cannot be replayed", 0, func() string { return totpCode(t, e.Secret, now) }, accounts.ErrBadCode},
		{"the next step's code, a clock ahead", 0, func() string { return totpCode(t, e.Secret, now.Add(30*time.Second)) }, nil},
		{"an older step after a newer one", 0, func() string { return totpCode(t, e.Secret, now) }, accounts.ErrBadCode},
		{"a code two steps away", time.Minute, func() string { return totpCode(t, e.Secret, now.Add(time.Minute)) }, accounts.ErrBadCode},
		{"the current code, with a space", 0, func() string { c := totpCode(t, e.Secret, now); return c[:3] + " " + c[3:] }, nil},
		{"wrong digits", 30 * time.Second, func() string { return wrongCode(t, e.Secret, now) }, accounts.ErrBadCode},
		{"not digits", 0, func() string { return "abcdef" }, accounts.ErrBadCode},
		{"empty", 0, func() string { return "" }, accounts.ErrBadCode},
		{"a recovery code", 0, func() string { return codes[0] }, nil},
		{"a used recovery code", 0, func() string { return codes[0] }, accounts.ErrBadCode},
		{"a recovery code in capitals without its dash", 0, func() string { return strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")) }, nil},
		{"a made-up recovery code", 0, func() string { return "aaaaa-aaaaa" }, accounts.ErrBadCode},
	}
	for _, tt := range tests {
		now = now.Add(tt.advance)
		if err := s.CheckSecondFactor(ctx, u.ID, tt.code()); !errors.Is(err, tt.want) {
			t.Fatalf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	status(accounts.TOTPStatus{Enabled: true, RecoveryCodesLeft: 8})

	now = now.Add(30 * time.Second)
	if err := s.DisableTOTP(ctx, u.ID, "wrong password!", totpCode(t, e.Secret, now)); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Fatalf("disable with a wrong password: %v", err)
	}
	if err := s.DisableTOTP(ctx, u.ID, "long enough password", wrongCode(t, e.Secret, now)); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("disable with a wrong code: %v", err)
	}
	status(accounts.TOTPStatus{Enabled: true, RecoveryCodesLeft: 8})
	if err := s.DisableTOTP(ctx, u.ID, "long enough password", totpCode(t, e.Secret, now)); err != nil {
		t.Fatal(err)
	}
	status(accounts.TOTPStatus{})
	if err := s.CheckSecondFactor(ctx, u.ID, codes[2]); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("a recovery code after disabling: %v", err)
	}
	if _, err := s.BeginTOTP(ctx, u.ID, "Sillage"); err != nil {
		t.Fatalf("enrol again after disabling: %v", err)
	}
}

func BenchmarkCheckSecondFactor(b *testing.B) {
	ctx := context.Background()
	now := time.Now().UTC()
	s := &accounts.Service{Engine: storetest.Migrated(b), Now: func() time.Time { return now }}
	u, err := s.AddUser(ctx, "claire@example.fr", "long enough password")
	if err != nil {
		b.Fatal(err)
	}
	e, err := s.BeginTOTP(ctx, u.ID, "Sillage")
	if err != nil {
		b.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, now)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.ConfirmTOTP(ctx, u.ID, code); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A wrong code: one read and three HMACs, the cost of a guess.
		if err := s.CheckSecondFactor(ctx, u.ID, "000000"); !errors.Is(err, accounts.ErrBadCode) && err != nil {
			b.Fatal(err)
		}
	}
}

// enableTOTP turns the second factor of u on and returns its secret and
// recovery codes.
func enableTOTP(t *testing.T, s *accounts.Service, userID string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := s.BeginTOTP(ctx, userID, "Sillage")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.ConfirmTOTP(ctx, userID, totpCode(t, e.Secret, s.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return e.Secret, codes
}

// An operator removes the second factor of an account whose owner lost
// both the phone and the recovery codes: the account logs in with its
// password alone, every session of it ends, and it may enrol again.
func TestRemoveTOTP(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	u := mustUser(t, s, "claire@example.fr")
	other := mustUser(t, s, "marc@example.fr")
	_, codes := enableTOTP(t, s, u.ID)
	session, _, err := s.CreateSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	otherSession, _, err := s.CreateSession(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, otherCodes := enableTOTP(t, s, other.ID)

	had, err := s.RemoveTOTP(ctx, u.ID)
	if err != nil || !had {
		t.Fatalf("remove: had %v, %v", had, err)
	}
	if st, err := s.TOTPStatus(ctx, u.ID); err != nil || st.Enabled {
		t.Fatalf("status after removal: %+v %v", st, err)
	}
	if _, err := s.UserBySession(ctx, session); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("a session outlived the removal: %v", err)
	}
	if err := s.CheckSecondFactor(ctx, u.ID, codes[0]); !errors.Is(err, accounts.ErrBadCode) {
		t.Fatalf("a recovery code after the removal: %v", err)
	}
	// Another account keeps its second factor and its session.
	if st, err := s.TOTPStatus(ctx, other.ID); err != nil || st != (accounts.TOTPStatus{Enabled: true, RecoveryCodesLeft: accounts.RecoveryCodes}) {
		t.Fatalf("the other account's status: %+v %v", st, err)
	}
	if _, err := s.UserBySession(ctx, otherSession); err != nil {
		t.Fatalf("the other account's session: %v", err)
	}
	if err := s.CheckSecondFactor(ctx, other.ID, otherCodes[0]); err != nil {
		t.Fatalf("the other account's recovery code: %v", err)
	}

	// Again: nothing to remove, and no error (sessions end all the same).
	if had, err := s.RemoveTOTP(ctx, u.ID); err != nil || had {
		t.Fatalf("remove again: had %v, %v", had, err)
	}
	enableTOTP(t, s, u.ID)
	if st, err := s.TOTPStatus(ctx, u.ID); err != nil || !st.Enabled {
		t.Fatalf("enrol again after the removal: %+v %v", st, err)
	}
	if _, err := s.RemoveTOTP(ctx, "00000000-0000-0000-0000-000000000001"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("remove for no account: %v", err)
	}
}

// A password reset link proves access to the mailbox only: the second
// factor stays, so a stolen mailbox does not open the account.
func TestPasswordResetKeepsTheSecondFactor(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	u := mustUser(t, s, "claire@example.fr")
	_, codes := enableTOTP(t, s, u.ID)
	tok, _, err := s.CreatePasswordReset(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResetPassword(ctx, tok, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.TOTPStatus(ctx, u.ID); err != nil || st != (accounts.TOTPStatus{Enabled: true, RecoveryCodesLeft: accounts.RecoveryCodes}) {
		t.Fatalf("status after a password reset: %+v %v", st, err)
	}
	if err := s.CheckSecondFactor(ctx, u.ID, codes[0]); err != nil {
		t.Fatalf("a recovery code after a password reset: %v", err)
	}
}
