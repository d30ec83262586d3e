-- Pinned messages (issue 14): at most one pin per message, listed per room
-- newest first. A pin goes with its message (hard delete) and its room when
-- foreign keys are on; a soft-deleted message keeps its row here, and every
-- read joins the visible messages, so neither is ever shown or counted.
CREATE TABLE rtchat_pins (
  message_id VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES rtchat_messages (id) ON DELETE CASCADE,
  room_id VARCHAR(36) NOT NULL REFERENCES rtchat_rooms (id) ON DELETE CASCADE,
  pinned_by INTEGER NOT NULL,
  pinned_at TIMESTAMP NOT NULL
);
CREATE INDEX rtchat_pins_room_idx ON rtchat_pins (room_id, pinned_at);
