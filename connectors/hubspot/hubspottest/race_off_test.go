//go:build !race

package hubspottest

// raceEnabled shrinks scale tests under the race detector.
const raceEnabled = false
