package migrations

// Previous is the version just below Latest among the embedded files:
// versions may have gaps (migrations written on branches in parallel).
func Previous() uint {
	vs := versions()
	if len(vs) < 2 {
		return 0
	}
	return vs[len(vs)-2]
}

// VersionsAbove counts the embedded versions above v.
func VersionsAbove(v uint) int {
	n := 0
	for _, x := range versions() {
		if x > v {
			n++
		}
	}
	return n
}
