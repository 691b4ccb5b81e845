// Package mail delivers Sillage's email: invitations, password resets,
// reports and alerts.
package mail

import "context"

// Message is one email. Text is required; HTML is optional.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
	// Unsubscribe is a one-click unsubscribe URL (RFC 8058), empty for
	// transactional mail.
	Unsubscribe string
}

// Sender sends a message at most once per key, across restarts and across
// every process sharing the store, retrying failed deliveries with backoff.
// A key already sent returns nil without sending again.
type Sender interface {
	Send(ctx context.Context, key string, msg Message) error
}
