//! The 2D view as plain numbers: where the camera looks and how many metres one pixel
//! covers, and the conversions between local metres and window pixels. No Bevy here, so
//! tests can compute where something must appear in a screenshot.
//!
//! Pixels: origin at the top-left of the window, x to the right, y down. World: local
//! east/north metres (see `network::frame`), east to the right, north up.

use crate::network::Network;

/// Camera centre and zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// World point at the centre of the window, `[east_m, north_m]`.
    pub center: [f64; 2],
    /// Metres per pixel.
    pub m_per_px: f64,
}

impl View {
    /// Pixel position of a world point in a window of `size` pixels.
    pub fn to_px(&self, world: [f64; 2], size: [f64; 2]) -> [f64; 2] {
        [
            (world[0] - self.center[0]) / self.m_per_px + size[0] / 2.0,
            size[1] / 2.0 - (world[1] - self.center[1]) / self.m_per_px,
        ]
    }

    /// World point under a pixel.
    pub fn to_world(&self, px: [f64; 2], size: [f64; 2]) -> [f64; 2] {
        [
            self.center[0] + (px[0] - size[0] / 2.0) * self.m_per_px,
            self.center[1] - (px[1] - size[1] / 2.0) * self.m_per_px,
        ]
    }

    /// Zooms by `factor` (> 1 zooms out) keeping the world point under `px` in place.
    pub fn zoom_at(&mut self, factor: f64, px: [f64; 2], size: [f64; 2]) {
        let before = self.to_world(px, size);
        self.m_per_px = (self.m_per_px * factor).clamp(0.05, 5_000.0);
        let after = self.to_world(px, size);
        self.center[0] += before[0] - after[0];
        self.center[1] += before[1] - after[1];
    }
}

/// The view that shows every node of the network with a 6 % margin in a window of
/// `size` pixels.
pub fn fit(net: &Network, size: [f64; 2]) -> View {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    let points = net
        .nodes
        .iter()
        .map(|n| n.en)
        .chain(net.lanes.iter().flat_map(|l| l.points.iter().copied()))
        .chain(net.terminals.iter().flat_map(|t| t.fatos.iter().copied()));
    for p in points {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    if !lo[0].is_finite() {
        return View {
            center: [0.0, 0.0],
            m_per_px: 10.0,
        };
    }
    let span = [(hi[0] - lo[0]).max(200.0), (hi[1] - lo[1]).max(200.0)];
    let m_per_px = (span[0] / size[0]).max(span[1] / size[1]) * 1.12;
    View {
        center: [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0],
        m_per_px,
    }
}

/// Arrows showing a uniform wind blowing `wind` (`[east, north]` m/s, the air's velocity)
/// over a window of `size` pixels: one every `spacing_px` pixels on a grid offset by half
/// a spacing, each centred on its grid point and pointing downwind, `0.7 × spacing_px`
/// long at 10 m/s and above and in proportion below. World `(tail, head)` pairs; none in
/// calm air.
pub fn wind_arrows(
    view: &View,
    size: [f64; 2],
    wind: impl Fn([f64; 2]) -> [f64; 2],
    spacing_px: f64,
) -> Vec<([f64; 2], [f64; 2])> {
    if spacing_px <= 0.0 {
        return Vec::new();
    }
    let (nx, ny) = (
        (size[0] / spacing_px).floor() as usize,
        (size[1] / spacing_px).floor() as usize,
    );
    let mut out = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            let px = [(i as f64 + 0.5) * spacing_px, (j as f64 + 0.5) * spacing_px];
            let c = view.to_world(px, size);
            let w = wind(c);
            let speed = w[0].hypot(w[1]);
            if speed == 0.0 {
                continue;
            }
            let half_m = 0.35 * spacing_px * (speed / 10.0).min(1.0) * view.m_per_px;
            let u = [w[0] / speed * half_m, w[1] / speed * half_m];
            out.push(([c[0] - u[0], c[1] - u[1]], [c[0] + u[0], c[1] + u[1]]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wind_arrows_cover_the_window_and_point_downwind() {
        let view = View {
            center: [1000.0, -500.0],
            m_per_px: 10.0,
        };
        let size = [1280.0, 720.0];
        assert!(wind_arrows(&view, size, |_| [0.0, 0.0], 120.0).is_empty());
        // A 5 m/s west wind (from 270°) blows east: 10 x 6 arrows 120 px apart, each
        // 0.7 x 120 x 5/10 = 42 px = 420 m long, level and pointing east.
        let a = wind_arrows(&view, size, |_| [5.0, 0.0], 120.0);
        assert_eq!(a.len(), 60);
        for (tail, head) in &a {
            assert!((head[0] - tail[0] - 420.0).abs() < 1e-9);
            assert!((head[1] - tail[1]).abs() < 1e-9);
        }
        // The first is centred on pixel (60, 60): 580 px left of and 300 px above the
        // centre.
        let mid = [(a[0].0[0] + a[0].1[0]) / 2.0, (a[0].0[1] + a[0].1[1]) / 2.0];
        assert!(
            (mid[0] - (1000.0 - 5800.0)).abs() < 1e-9 && (mid[1] - (-500.0 + 3000.0)).abs() < 1e-9
        );
        // 20 m/s from the north blows south, at the full 84 px.
        let (tail, head) = wind_arrows(&view, size, |_| [0.0, -20.0], 120.0)[0];
        assert!((tail[1] - head[1] - 840.0).abs() < 1e-9 && (head[0] - tail[0]).abs() < 1e-9);
        // A field: calm west of x = 0, 5 m/s east of it; arrows only where it blows.
        let a = wind_arrows(
            &view,
            size,
            |p| [if p[0] > 0.0 { 5.0 } else { 0.0 }, 0.0],
            120.0,
        );
        assert!(!a.is_empty() && a.len() < 60);
        assert!(a.iter().all(|(tail, head)| tail[0] + head[0] > 0.0));
    }

    #[test]
    fn pixels_and_world_round_trip_and_zoom_keeps_the_cursor_point() {
        let size = [1280.0, 720.0];
        let mut v = View {
            center: [1000.0, -500.0],
            m_per_px: 20.0,
        };
        assert_eq!(v.to_px([1000.0, -500.0], size), [640.0, 360.0]);
        assert_eq!(
            v.to_px([1020.0, -480.0], size),
            [641.0, 359.0],
            "north is up"
        );
        let w = v.to_world([100.0, 50.0], size);
        assert_eq!(v.to_px(w, size), [100.0, 50.0]);
        v.zoom_at(0.5, [100.0, 50.0], size);
        let w2 = v.to_world([100.0, 50.0], size);
        assert!((w2[0] - w[0]).abs() < 1e-9 && (w2[1] - w[1]).abs() < 1e-9);
        assert_eq!(v.m_per_px, 10.0);
    }
}
