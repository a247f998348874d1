package main

import (
	"context"
	"fmt"
	"net"
	"time"
)

// checkFree returns an error if a server already accepts connections at
// addr, so that `noterp dev` fails before it starts anything.
func checkFree(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	return fmt.Errorf("something already listens on %s: stop it (an earlier `noterp dev`?) or choose another address", addr)
}

// waitListening waits up to ten seconds for a server to accept connections
// at addr.
func waitListening(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on %s after 10s: %w", addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
