package ops

import "testing"

func TestSmokeTmp(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	t.Log(st.env)
	walkReadme(t, st.servers[0])
}
