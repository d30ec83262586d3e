package consumer

import (
	"bytes"
	"encoding/json"

	"github.com/rtchat/rtchat/protocol"
)

// checkData refuses an event's data that is not a JSON object (missing and
// null count as {}), for every event alike: the handlers that read no data
// (room.list, session.heartbeat) and the app's own events too, as
// serializer.Decode does for those that read it.
func checkData(data json.RawMessage) error {
	d := bytes.TrimSpace(data)
	if len(d) == 0 || d[0] == '{' || bytes.Equal(d, []byte("null")) {
		return nil
	}
	return protocol.Invalid(protocol.FieldErrors{"data": {"must be a JSON object"}})
}
