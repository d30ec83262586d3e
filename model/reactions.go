package model

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// Outcomes of AddReaction.
const (
	ReactionAdded    = "add"
	ReactionReplaced = "replace"
)

// ErrSameReaction means the user already reacted to the message with the
// same content.
var ErrSameReaction = errors.New("rtchat: same reaction already added")

// AddReaction stores a user's reaction to a message: a user has one
// reaction per message, so a different one replaces the old (ReactionReplaced)
// and the same one again is ErrSameReaction (also when two devices race).
// A user muted in the message's room is ErrMuted (see NotMuted).
// When notify is not empty a REACTION notification for those users is stored
// in the same transaction. r.ID and r.CreatedAt must be set.
func (s *Store) AddReaction(ctx context.Context, r *Reaction, msg *Message, notify []int64) (string, error) {
	action, err := s.addReaction(ctx, r, msg, notify)
	if errors.Is(err, ErrConflict) {
		// Another device of the user inserted first: look again, now that
		// its row is visible.
		action, err = s.addReaction(ctx, r, msg, notify)
	}
	return action, err
}

func (s *Store) addReaction(ctx context.Context, r *Reaction, msg *Message, notify []int64) (string, error) {
	action := ReactionAdded
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.NotMuted(ctx, tx, msg.RoomID, r.UserID, r.CreatedAt); err != nil {
			return err
		}
		prev := new(Reaction)
		err := tx.NewSelect().Model(prev).Where("rx.message_id = ? AND rx.user_id = ?", r.MessageID, r.UserID).Scan(ctx)
		switch {
		case err == nil && prev.ReactionContent == r.ReactionContent:
			return ErrSameReaction
		case err == nil:
			action = ReactionReplaced
			r.ID = prev.ID
			if _, err := tx.NewUpdate().Model(r).Column("reaction_content", "created_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		case isNotFound(mapErr(err)):
			if _, err := s.newInsert(tx, "Reaction", r).Exec(ctx); err != nil {
				return err
			}
		default:
			return err
		}
		// One REACTION notification per reacting user and message: a
		// replacement supersedes the one of the reaction it replaces.
		if err := deleteReactionNotifications(ctx, tx, r.MessageID, r.UserID); err != nil {
			return err
		}
		if len(notify) > 0 {
			return s.insertNotification(ctx, tx, msg, NotifyReaction, r.UserID, r.CreatedAt, notify)
		}
		return nil
	})
	return action, err
}

// RemoveReaction deletes a user's reaction to a message, reporting whether
// there was one. The REACTION notification it caused goes with it. A user
// muted in the message's room is ErrMuted.
func (s *Store) RemoveReaction(ctx context.Context, messageID string, userID int64) (bool, error) {
	var removed bool
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.notMutedByMessage(ctx, tx, messageID, userID, Now()); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*Reaction)(nil)).Where("message_id = ? AND user_id = ?", messageID, userID).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		removed = true
		return deleteReactionNotifications(ctx, tx, messageID, userID)
	})
	return removed, err
}
