//! SVG to PNG with resvg, and the tray's variants of the app's mark.

use resvg::{tiny_skia, usvg};

pub struct Svg(usvg::Tree);

impl Svg {
    pub fn parse(text: &str) -> Result<Self, String> {
        usvg::Tree::from_str(text, &usvg::Options::default()).map(Self).map_err(|e| format!("icon SVG: {e}"))
    }

    /// The image at `size`×`size` pixels, as PNG.
    pub fn png(&self, size: u32) -> Result<Vec<u8>, String> {
        let mut pixmap = tiny_skia::Pixmap::new(size, size).ok_or("an icon size of 0")?;
        let view = self.0.size();
        let scale = size as f32 / view.width().max(view.height());
        resvg::render(&self.0, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
        pixmap.encode_png().map_err(|e| format!("PNG: {e}"))
    }
}

/// The tray's monochrome mark: the app icon's line alone, thicker so that it reads at 22
/// pixels, white on a dark edge so that it reads on a light panel (xfce4-panel's default)
/// as on a dark one; with `unseen`, a red dot for failed calls not yet looked at.
pub fn tray_svg(app_svg: &str, unseen: bool) -> Result<String, String> {
    let start = app_svg.find("<path").ok_or("icons/icon.svg has no <path> for the tray to use")?;
    let end = app_svg[start..].find("/>").ok_or("an unclosed <path> in icons/icon.svg")? + start + 2;
    let line = &app_svg[start..end];
    let edge =
        line.replace("stroke-width=\"56\"", "stroke-width=\"180\"").replace("stroke=\"#ffffff\"", "stroke=\"#262626\"");
    let path = format!("{edge}{}", line.replace("stroke-width=\"56\"", "stroke-width=\"96\""));
    let dot = if unseen {
        r##"<circle cx="800" cy="800" r="200" fill="#e53e3e" stroke="#262626" stroke-width="48"/>"##
    } else {
        ""
    };
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024"><g transform="translate(-100 -100) scale(1.2)">{path}</g>{dot}</svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = include_str!("../../../icons/icon.svg");

    fn pixels(png: &[u8]) -> tiny_skia::Pixmap {
        tiny_skia::Pixmap::decode_png(png).unwrap()
    }

    #[test]
    fn each_size_is_that_size_and_the_corners_are_transparent() {
        let svg = Svg::parse(SOURCE).unwrap();
        for size in [16, 32, 256] {
            let image = pixels(&svg.png(size).unwrap());
            assert_eq!((image.width(), image.height()), (size, size));
            assert_eq!(image.pixel(0, 0).unwrap().alpha(), 0, "rounded corner at {size}");
            assert_eq!(image.pixel(size / 2, size / 4).unwrap().alpha(), 255, "the tile itself at {size}");
        }
    }

    /// How many of the mark's pixels, laid over a panel of `panel` grey, stand out from it by
    /// at least 3:1 (WCAG's contrast for graphics).
    fn standing_out(png: &[u8], panel: u8) -> usize {
        let luminance = |c: f64| {
            let c = c / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let back = luminance(panel as f64);
        pixels(png)
            .pixels()
            .iter()
            .filter(|p| {
                let a = p.alpha() as f64 / 255.0;
                // Premultiplied: the colour over the panel is c + (1 - a) * panel.
                let over = |c: u8| c as f64 + (1.0 - a) * panel as f64;
                let lum = 0.2126 * luminance(over(p.red()))
                    + 0.7152 * luminance(over(p.green()))
                    + 0.0722 * luminance(over(p.blue()));
                let (hi, lo) = if lum > back { (lum, back) } else { (back, lum) };
                (hi + 0.05) / (lo + 0.05) >= 3.0
            })
            .count()
    }

    #[test]
    fn the_tray_mark_reads_on_light_and_dark_panels() {
        let mark = Svg::parse(&tray_svg(SOURCE, false).unwrap()).unwrap().png(22).unwrap();
        let (light, dark) = (standing_out(&mark, 0xf0), standing_out(&mark, 0x2b));
        assert!(
            light >= 40 && dark >= 40,
            "pixels standing out at 22 px: {light} on a light panel, {dark} on a dark one"
        );
        // The check tells: a white line alone is all but invisible on the light panel.
        let white_only = SOURCE.replace("stroke-width=\"56\"", "stroke-width=\"96\"");
        let white =
            Svg::parse(&white_only.replace("<rect", "<rect opacity=\"0\"").replace("<circle", "<circle opacity=\"0\""))
                .unwrap()
                .png(22)
                .unwrap();
        assert!(standing_out(&white, 0xf0) < 10 && standing_out(&white, 0x2b) >= 40);
    }

    #[test]
    fn the_tray_mark_is_grey_only_and_its_unseen_variant_adds_red() {
        let colours = |unseen| {
            let image = pixels(&Svg::parse(&tray_svg(SOURCE, unseen).unwrap()).unwrap().png(64).unwrap());
            let opaque: Vec<_> = image.pixels().iter().filter(|p| p.alpha() == 255).copied().collect();
            let red = opaque.iter().filter(|p| p.red() > 200 && p.green() < 100).count();
            let other = opaque.iter().filter(|p| !(p.red() == p.green() && p.green() == p.blue())).count();
            (opaque.len(), red, other)
        };
        let (plain, red, coloured) = colours(false);
        assert!(plain > 100, "the line is drawn");
        assert_eq!((red, coloured), (0, 0), "monochrome");
        let (_, red, _) = colours(true);
        assert!(red > 200, "a red dot: {red} red pixels");
    }

    #[test]
    fn a_source_without_a_line_is_refused() {
        assert!(tray_svg("<svg/>", false).unwrap_err().contains("no <path>"));
    }
}
