package uitest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// TestUI_LargeCTScroll measures the viewer on a 300-slice CT: time to the
// first image, a fast scroll (60 images at 20/s), a reading-pace scroll
// (30 at 4/s) and back over what was read. Opt-in (LINGSHU_UITEST_LARGE=1): the
// phantom alone takes a while to generate on a small machine.
func TestUI_LargeCTScroll(t *testing.T) {
	if testing.Short() || os.Getenv("LINGSHU_UITEST_LARGE") == "" {
		t.Skip("set LINGSHU_UITEST_LARGE=1 to run the 300-slice CT scrolling measurement")
	}
	chromiumPath(t)
	t0 := time.Now()
	e := startEnv(t, []phantom.Options{{Modality: "CT", Slices: 300, Seed: 21}}, false)
	ct := e.studies[0]
	t.Logf("300-slice CT sent in %.1fs", time.Since(t0).Seconds())
	b := newBrowser(t, e.base, e.artifact, 240*time.Second)
	b.open("#/study/" + url.PathEscape(ct.UID))
	b.login(radUser, userPassword)
	start := time.Now()
	b.wait("first image", `(() => { const v = document.querySelector('#viewport'); return v && v.dataset.loaded && v.dataset.loaded === v.dataset.wanted; })()`, 30*time.Second)
	t.Logf("first image %.0f ms after sign-in", float64(time.Since(start).Microseconds())/1000)
	// Let the first prefetch finish, as a reader would look at the image.
	b.do("look", chromedp.Sleep(1500*time.Millisecond))

	type result struct {
		Steps       int     `json:"steps"`
		ShownOnTime int     `json:"shown_on_time"` // the image of a step was on screen before the next step
		SettleMS    float64 `json:"settle_ms"`     // last step → its image on screen
		TotalMS     float64 `json:"total_ms"`
		Stats       string  `json:"stats"`
	}
	scroll := func(key string, n int, everyMS int) result {
		expr := fmt.Sprintf(`(async () => {
			const v = document.querySelector('#viewport');
			const t0 = performance.now();
			let onTime = 0;
			for (let i = 0; i < %d; i++) {
				v.dispatchEvent(new KeyboardEvent('keydown', { key: %q, bubbles: true }));
				await new Promise((r) => setTimeout(r, %d));
				if (v.dataset.loaded === v.dataset.wanted) onTime++;
			}
			const t1 = performance.now();
			while (v.dataset.loaded !== v.dataset.wanted) await new Promise((r) => setTimeout(r, 5));
			const t2 = performance.now();
			return JSON.stringify({ steps: %d, shown_on_time: onTime, settle_ms: t2 - t1, total_ms: t2 - t0, stats: v.dataset.stats });
		})()`, n, key, everyMS, n)
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			b.fail("scroll", err)
		}
		var r result
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Fast: 60 images at 20/s, faster than renders arrive on a small box:
	// intermediate images are skipped (latest wins), and the last one must
	// be on screen soon after the reader stops.
	down := scroll("ArrowDown", 60, 50)
	t.Logf("down 60 images at 20/s: %d shown on time, settle %.0f ms, total %.0f ms, viewer stats %s", down.ShownOnTime, down.SettleMS, down.TotalMS, down.Stats)
	if down.SettleMS > 1500 {
		t.Errorf("after scrolling down, the last image took %.0f ms to appear", down.SettleMS)
	}
	// Reading pace: 30 images at 4/s; prefetch should keep up.
	b.do("look", chromedp.Sleep(1500*time.Millisecond))
	slow := scroll("ArrowDown", 30, 250)
	t.Logf("down 30 images at 4/s: %d shown on time, settle %.0f ms, total %.0f ms, viewer stats %s", slow.ShownOnTime, slow.SettleMS, slow.TotalMS, slow.Stats)
	// Back over the images just read: cached.
	back := scroll("ArrowUp", 20, 50)
	t.Logf("back up 20 images at 20/s: %d shown on time, settle %.0f ms, viewer stats %s", back.ShownOnTime, back.SettleMS, back.Stats)
	if back.ShownOnTime < 15 {
		t.Errorf("scrolling back over images just read: only %d of 20 shown on time", back.ShownOnTime)
	}
	b.shot("20-viewer-300-slice-ct")
}
