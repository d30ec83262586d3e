-- The per-recipient rows are not rebuilt: message notifications pending at
-- the time of the down migration are dropped (their messages stay unread).
DROP INDEX rtchat_notifications_room_idx;
