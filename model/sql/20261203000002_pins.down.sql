DROP INDEX rtchat_pins_room_idx;
DROP TABLE rtchat_pins;
