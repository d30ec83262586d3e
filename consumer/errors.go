package consumer

import (
	"context"
	"errors"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// MapError is the default mapping of a handler's error to the wire: a
// *protocol.Error as it is, the store's sentinels to 4004, 4005 and 4007
// (ErrMuted and ErrBanned to 4002), a
// timeout to 4007, anything else to 4006 (whose cause stays in the log).
func MapError(err error) *protocol.Error {
	if pe, ok := protocol.AsError(err); ok {
		return pe
	}
	switch {
	case errors.Is(err, model.ErrNotFound):
		return protocol.NotFound()
	case errors.Is(err, model.ErrMuted):
		return protocol.Denied(protocol.DetailMuted)
	case errors.Is(err, model.ErrBanned):
		return protocol.Denied(protocol.DetailBanned)
	case errors.Is(err, model.ErrConflict):
		return protocol.NewError(protocol.CodeConflict, "Integrity conflict.")
	case errors.Is(err, model.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return protocol.NewError(protocol.CodeUnavailable, protocol.DetailUnavailable)
	}
	return protocol.NewError(protocol.CodeInternal, protocol.DetailInternal)
}

// wireError maps err with the app's error handler first, then MapError.
func (cs *Consumer) wireError(err error) *protocol.Error {
	if cs.cfg.ErrorHandler != nil {
		if pe := cs.cfg.ErrorHandler(err); pe != nil {
			return pe
		}
	}
	return MapError(err)
}
