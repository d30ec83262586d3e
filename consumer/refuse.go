package consumer

import (
	"unicode/utf8"

	"github.com/rtchat/rtchat/protocol"
)

// connectError maps the error of the app's OnConnect hook to the close of
// the refused connection: the app's error handler first, then a
// *protocol.Error the error wraps, else 4002 (a refusal is a permission
// denied, whatever went wrong). A code that a close frame cannot carry for
// an application (outside 3000-4999) becomes 4002.
func (cs *Consumer) connectError(err error) *protocol.Error {
	var pe *protocol.Error
	if cs.cfg.ErrorHandler != nil {
		pe = cs.cfg.ErrorHandler(err)
	}
	if pe == nil {
		pe, _ = protocol.AsError(err)
	}
	if pe == nil {
		return protocol.Denied("")
	}
	if pe.Code < 3000 || pe.Code > 4999 {
		return protocol.Denied(detailText(pe.Detail))
	}
	return pe
}

func detailText(detail any) string {
	s, _ := detail.(string)
	return s
}

// maxCloseReason is the most bytes a close frame's reason may hold (125
// bytes of control frame payload less the code).
const maxCloseReason = 123

// closeReason is the detail as a close reason: a string detail cut to what
// a close frame holds, anything else (field errors) the default text.
func closeReason(detail any) string {
	s := detailText(detail)
	if s == "" {
		s = protocol.DetailPermissionDenied
	}
	if len(s) <= maxCloseReason {
		return s
	}
	s = s[:maxCloseReason]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
