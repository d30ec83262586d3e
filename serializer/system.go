package serializer

// SystemUserID is the sender of what the server says itself (a message sent
// from Go as the system, a member added by the system): not a user of the
// app, so the app's lookup is never asked about it.
const SystemUserID int64 = 0

// SystemUsername is the username payloads show for SystemUserID.
const SystemUsername = "system"

// systemUser is how payloads show SystemUserID: {"id": 0, "username":
// "system"}.
func systemUser() User { return User{ID: SystemUserID, Username: SystemUsername} }
