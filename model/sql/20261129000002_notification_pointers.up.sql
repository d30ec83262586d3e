-- Message notifications follow from each member's delivered pointer instead
-- of one row per recipient. A member with pending message notifications gets
-- the pointer just below the oldest of them, so none is lost; any other
-- member has seen everything. Reaction notifications keep their rows.
UPDATE rtchat_members SET last_delivered_seq = COALESCE(
  (SELECT MIN(msg.seq) - 1
     FROM rtchat_notifications AS n
     JOIN rtchat_notification_recipients AS nr ON nr.notification_id = n.id
     JOIN rtchat_messages AS msg ON msg.id = n.message_id
    WHERE n.room_id = rtchat_members.room_id
      AND nr.user_id = rtchat_members.user_id
      AND n.notification_type IN ('NEW_MESSAGE', 'REPLY')),
  (SELECT r.last_seq FROM rtchat_rooms AS r WHERE r.id = rtchat_members.room_id));
DELETE FROM rtchat_notification_recipients WHERE notification_id IN
  (SELECT id FROM rtchat_notifications WHERE notification_type IN ('NEW_MESSAGE', 'REPLY'));
DELETE FROM rtchat_notifications WHERE notification_type IN ('NEW_MESSAGE', 'REPLY');
CREATE INDEX rtchat_notifications_room_idx ON rtchat_notifications (room_id);
