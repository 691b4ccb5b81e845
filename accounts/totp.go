package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/sillage-analytics/sillage/store"
)

// TOTP follows RFC 6238 with the parameters every authenticator app
// supports: SHA-1, 6 digits, 30-second steps. A code of the step before or
// after is accepted too, for clocks that drift.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	// RecoveryCodes is how many single-use recovery codes an enrolment
	// gives.
	RecoveryCodes = 10
)

var (
	// ErrBadCode is the one answer to a wrong, expired or replayed code.
	ErrBadCode = errors.New("wrong code")
	// ErrTOTPEnabled refuses a second enrolment while one is active.
	ErrTOTPEnabled = fmt.Errorf("two-factor authentication is already on: %w", ErrExists)
	// ErrTOTPDisabled answers a confirmation without an enrolment.
	ErrTOTPDisabled = fmt.Errorf("two-factor authentication is not being set up: %w", ErrNotFound)
)

// TOTPStatus is what an account's owner may know of its second factor.
type TOTPStatus struct {
	Enabled           bool
	RecoveryCodesLeft int
}

// TOTPEnrolment is a new secret, to show once to the account's owner.
type TOTPEnrolment struct {
	Secret string // base32, for typing into an app
	URI    string // otpauth://, for a QR code
}

type totpRow struct {
	secret    string
	confirmed bool
	recovery  []string
	lastStep  uint64
}

func (s *Service) totpRow(ctx context.Context, userID string) (totpRow, bool, error) {
	var r totpRow
	var confirmed uint8
	err := store.QueryRow(ctx, s.Engine, `SELECT secret, confirmed, recovery_hashes, last_step FROM totp FINAL
		WHERE user_id = toUUIDOrZero({user:String}) AND deleted = 0`, store.Params{"user": userID},
		&r.secret, &confirmed, &r.recovery, &r.lastStep)
	if errors.Is(err, store.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read second factor of user %s: %w", userID, err)
	}
	r.confirmed = confirmed == 1
	return r, true, nil
}

func (s *Service) writeTOTP(ctx context.Context, userID string, r totpRow, deleted bool) error {
	del := uint8(0)
	if deleted {
		del = 1
	}
	confirmed := uint8(0)
	if r.confirmed {
		confirmed = 1
	}
	if r.recovery == nil {
		r.recovery = []string{}
	}
	err := s.Engine.Exec(ctx, `INSERT INTO totp (user_id, secret, confirmed, recovery_hashes, last_step, updated_at, deleted)
		VALUES ({user:UUID}, {secret:String}, {confirmed:UInt8}, {recovery:Array(String)}, {step:UInt64}, {now:DateTime64(6, 'UTC')}, {deleted:UInt8})`,
		store.Params{"user": userID, "secret": r.secret, "confirmed": confirmed, "recovery": r.recovery,
			"step": r.lastStep, "now": s.stamp(), "deleted": del})
	if err != nil {
		return fmt.Errorf("write second factor of user %s: %w", userID, err)
	}
	return nil
}

// TOTPStatus tells whether an account logs in with a second factor.
func (s *Service) TOTPStatus(ctx context.Context, userID string) (TOTPStatus, error) {
	r, ok, err := s.totpRow(ctx, userID)
	if err != nil || !ok || !r.confirmed {
		return TOTPStatus{}, err
	}
	return TOTPStatus{Enabled: true, RecoveryCodesLeft: len(r.recovery)}, nil
}

// BeginTOTP draws a new secret for an account that has no active second
// factor; it protects nothing until ConfirmTOTP sees a first code from it.
// A new call replaces an unconfirmed secret.
func (s *Service) BeginTOTP(ctx context.Context, userID, issuer string) (TOTPEnrolment, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	r, ok, err := s.totpRow(ctx, userID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if ok && r.confirmed {
		return TOTPEnrolment{}, ErrTOTPEnabled
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("generate a TOTP secret: %w", err)
	}
	if err := s.writeTOTP(ctx, userID, totpRow{secret: key.Secret()}, false); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTP turns the second factor on with a first code from the new
// secret, and returns the recovery codes, which are never shown again.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	s.writes.Lock()
	defer s.writes.Unlock()
	r, ok, err := s.totpRow(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrTOTPDisabled
	}
	if r.confirmed {
		return nil, ErrTOTPEnabled
	}
	step, ok := s.matchCode(r, code)
	if !ok {
		return nil, ErrBadCode
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	r.confirmed, r.recovery, r.lastStep = true, hashes, step
	if err := s.writeTOTP(ctx, userID, r, false); err != nil {
		return nil, err
	}
	return codes, nil
}

// CheckSecondFactor accepts a current code of the account's authenticator
// (once: a code cannot be replayed) or one of its unused recovery codes,
// which is then used up. Anything else is ErrBadCode.
func (s *Service) CheckSecondFactor(ctx context.Context, userID, code string) error {
	s.writes.Lock()
	defer s.writes.Unlock()
	r, ok, err := s.totpRow(ctx, userID)
	if err != nil {
		return err
	}
	if !ok || !r.confirmed {
		return ErrBadCode
	}
	if step, ok := s.matchCode(r, code); ok {
		r.lastStep = step
		return s.writeTOTP(ctx, userID, r, false)
	}
	h := recoveryHash(code)
	for i, stored := range r.recovery {
		if subtle.ConstantTimeCompare([]byte(stored), []byte(h)) == 1 {
			r.recovery = append(r.recovery[:i:i], r.recovery[i+1:]...)
			return s.writeTOTP(ctx, userID, r, false)
		}
	}
	return ErrBadCode
}

// DisableTOTP turns the second factor off after checking the account's
// password and a code (or a recovery code).
func (s *Service) DisableTOTP(ctx context.Context, userID, password, code string) error {
	_, hash, err := s.userByIDWithHash(ctx, userID)
	if err != nil {
		return err
	}
	if !CheckPassword(hash, password) {
		return ErrBadCredentials
	}
	if err := s.CheckSecondFactor(ctx, userID, code); err != nil {
		return err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	return s.writeTOTP(ctx, userID, totpRow{}, true)
}

// matchCode finds the time step whose code is code, newer than the last
// one accepted.
func (s *Service) matchCode(r totpRow, code string) (uint64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	now := uint64(s.Now().Unix()) / totpPeriod
	for d := -totpSkew; d <= totpSkew; d++ {
		step := uint64(int64(now) + int64(d))
		if step <= r.lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(r.secret, time.Unix(int64(step*totpPeriod), 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCodes draws RecoveryCodes codes of 10 characters from an
// alphabet without look-alikes (about 50 bits each), written xxxxx-xxxxx,
// and their hashes.
func newRecoveryCodes() (codes, hashes []string, err error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	for range RecoveryCodes {
		c := make([]byte, 0, 11)
		var b [1]byte
		for len(c) < 11 {
			if len(c) == 5 {
				c = append(c, '-')
				continue
			}
			if _, err := rand.Read(b[:]); err != nil {
				return nil, nil, fmt.Errorf("read random recovery code: %w", err)
			}
			// Rejecting the top of the byte range keeps every letter equally likely.
			if int(b[0]) < 256-256%len(alphabet) {
				c = append(c, alphabet[int(b[0])%len(alphabet)])
			}
		}
		codes = append(codes, string(c))
		hashes = append(hashes, recoveryHash(string(c)))
	}
	return codes, hashes, nil
}

// recoveryHash is what the store keeps of a recovery code; spaces, the
// dash and case do not matter when typing it.
func recoveryHash(code string) string {
	c := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(code))
	return tokenHash("recovery:" + c)
}

// RemoveTOTP takes the second factor off an account without its code: the
// way back, through an operator, for someone who lost both the
// authenticator and the recovery codes. Every session of the account ends
// too, so whoever may have used the factor is out. It tells whether there
// was a second factor (an unfinished enrolment counts as none, and goes
// too).
func (s *Service) RemoveTOTP(ctx context.Context, userID string) (bool, error) {
	if _, err := s.UserByID(ctx, userID); err != nil {
		return false, err
	}
	s.writes.Lock()
	defer s.writes.Unlock()
	r, ok, err := s.totpRow(ctx, userID)
	if err != nil {
		return false, err
	}
	if ok {
		if err := s.writeTOTP(ctx, userID, totpRow{}, true); err != nil {
			return false, err
		}
	}
	return ok && r.confirmed, s.DeleteUserSessions(ctx, userID)
}
