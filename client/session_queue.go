package client

// The delivery queue sits between the session's goroutine and the
// application: catching up never waits for the application to read, so a
// SendMessage or Request waiting for the caught-up connection cannot deadlock
// with an application that reads Messages only after its send returned.

// enqueue queues m for Messages.
func (s *Session) enqueue(m Message) {
	s.qmu.Lock()
	s.queue = append(s.queue, m)
	close(s.qwake)
	s.qwake = make(chan struct{})
	s.qmu.Unlock()
}

// endQueue lets pump close Messages once the queue is empty.
func (s *Session) endQueue() {
	s.qmu.Lock()
	s.qended = true
	close(s.qwake)
	s.qwake = make(chan struct{})
	s.qmu.Unlock()
}

// pump hands the queued messages to the application in order, and closes
// Messages when the session has ended and the queue is empty, or at once
// on Close.
func (s *Session) pump() {
	defer close(s.pumped)
	defer close(s.out)
	for {
		s.qmu.Lock()
		if len(s.queue) == 0 {
			ended, wake := s.qended, s.qwake
			s.qmu.Unlock()
			if ended {
				return
			}
			select {
			case <-wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		m := s.queue[0]
		s.queue[0] = Message{} // let it be collected
		s.queue = s.queue[1:]
		s.qmu.Unlock()
		select {
		case s.out <- m:
		case <-s.ctx.Done():
			return
		}
	}
}
