package mail

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sillage-analytics/sillage/internal/seal"
)

// sealer keeps the bodies waiting in the outbox unreadable to whoever
// reads the store alone: a reset or invitation link in them opens an
// account, and the store keeps only hashes of such tokens elsewhere.
type sealer struct{ box seal.Box }

func newSealer(secret []byte) (sealer, error) {
	box, err := seal.New(secret, "sillage mail outbox body")
	if err != nil {
		return sealer{}, fmt.Errorf("mail outbox: sealing the bodies kept for retries: %w", err)
	}
	return sealer{box}, nil
}

type body struct {
	Text        string `json:"t"`
	HTML        string `json:"h,omitempty"`
	Unsubscribe string `json:"u,omitempty"`
}

func (s sealer) sealMessage(m Message) (string, error) {
	plain, err := json.Marshal(body{m.Text, m.HTML, m.Unsubscribe})
	if err != nil {
		return "", err
	}
	sealed, err := s.box.Seal(plain, nil)
	if err != nil {
		return "", fmt.Errorf("seal mail body: %w", err)
	}
	return sealed, nil
}

func (s sealer) openMessage(sealed string) (Message, error) {
	plain, err := s.box.Open(sealed, nil)
	if err != nil {
		return Message{}, errors.New("open mail body: " + err.Error())
	}
	var b body
	if err := json.Unmarshal(plain, &b); err != nil {
		return Message{}, fmt.Errorf("open mail body: %w", err)
	}
	return Message{Text: b.Text, HTML: b.HTML, Unsubscribe: b.Unsubscribe}, nil
}
