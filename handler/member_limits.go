package handler

import (
	"fmt"

	"github.com/rtchat/rtchat/protocol"
)

// Defaults of the member limits (rtchat.WithMaxMembersPerRequest,
// rtchat.WithMaxRoomSize).
const (
	DefaultMaxMembersPerRequest = 500
	DefaultMaxRoomSize          = 10_000
	// MaxRoomSizeCeiling is the largest value either limit may take, the
	// ceiling of the caps a room's creator may ask for.
	MaxRoomSizeCeiling = capCeiling
)

func (s Settings) membersPerRequest() int {
	return positiveOr(s.MaxMembersPerRequest, DefaultMaxMembersPerRequest)
}

func (s Settings) roomSize() int { return positiveOr(s.MaxRoomSize, DefaultMaxRoomSize) }

// tooManyNamed refuses, with the field error of a list that is too long
// (4003), a request naming more users than Settings.MaxMembersPerRequest in
// one of lists (field name to the ids it names). It runs before anything is
// looked up, so an oversized request costs nothing more than its decoding.
func tooManyNamed(s Settings, lists map[string][]int64) error {
	limit := s.membersPerRequest()
	errs := protocol.FieldErrors{}
	for field, ids := range lists {
		if len(ids) > limit {
			errs[field] = []string{fmt.Sprintf("Ensure this field has no more than %d elements.", limit)}
		}
	}
	if len(errs) > 0 {
		return protocol.Invalid(errs)
	}
	return nil
}
