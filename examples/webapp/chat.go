package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
)

// Message is one entry of the chat feed.
type Message struct {
	User string    `json:"user"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// The chat feed is a Redis list, newest first, capped at keepMessages.
const (
	feedKey      = "chat:messages"
	keepMessages = 100
	maxTextLen   = 500
	maxUserLen   = 40
	maxBodyBytes = 4 << 10
)

// chat serves the message feed on the keyed "chat" client.
type chat struct {
	rdb    redis.UniversalClient
	logger *slog.Logger
}

type chatParams struct {
	fx.In
	Chat   redis.UniversalClient `name:"chat"`
	Logger *slog.Logger
}

func newChat(p chatParams) *chat {
	return &chat{rdb: p.Chat, logger: p.Logger}
}

// post is POST /messages: {"user": "ada", "text": "hello"}. It answers 201
// with the stored message.
func (c *chat) post(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
		Text string `json:"text"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be JSON: {"user": "...", "text": "..."}`)
		return
	}
	msg := Message{User: strings.TrimSpace(in.User), Text: strings.TrimSpace(in.Text), At: time.Now().UTC()}
	if msg.User == "" {
		msg.User = "anonymous"
	}
	switch {
	case msg.Text == "":
		writeError(w, http.StatusBadRequest, "text is empty")
		return
	case utf8.RuneCountInString(msg.Text) > maxTextLen:
		writeError(w, http.StatusBadRequest, "text is longer than 500 characters")
		return
	case utf8.RuneCountInString(msg.User) > maxUserLen:
		writeError(w, http.StatusBadRequest, "user is longer than 40 characters")
		return
	}
	body, err := json.Marshal(msg)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the message")
		return
	}
	// One MULTI/EXEC: push and trim together, so the list never grows
	// past the cap.
	_, err = c.rdb.TxPipelined(r.Context(), func(p redis.Pipeliner) error {
		p.LPush(r.Context(), feedKey, body)
		p.LTrim(r.Context(), feedKey, 0, keepMessages-1)
		return nil
	})
	if err != nil {
		c.unavailable(w, r, err)
		return
	}
	writeJSONBytes(w, http.StatusCreated, body)
}

// list is GET /messages: the feed, newest first.
func (c *chat) list(w http.ResponseWriter, r *http.Request) {
	raw, err := c.rdb.LRange(r.Context(), feedKey, 0, keepMessages-1).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.unavailable(w, r, err)
		return
	}
	msgs := make([]json.RawMessage, 0, len(raw))
	for _, m := range raw {
		if json.Valid([]byte(m)) {
			msgs = append(msgs, json.RawMessage(m))
		}
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (c *chat) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	c.logger.ErrorContext(r.Context(), "chat store failed", slog.String("error", err.Error()))
	writeError(w, http.StatusServiceUnavailable, "the chat store is unavailable")
}
