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

/// The tray's monochrome mark: the app icon's line alone, white, thicker so that it reads
/// at 22 pixels; with `unseen`, a red dot for failed calls not yet looked at.
pub fn tray_svg(app_svg: &str, unseen: bool) -> Result<String, String> {
    let start = app_svg.find("<path").ok_or("icons/icon.svg has no <path> for the tray to use")?;
    let end = app_svg[start..].find("/>").ok_or("an unclosed <path> in icons/icon.svg")? + start + 2;
    let path = app_svg[start..end].replace("stroke-width=\"56\"", "stroke-width=\"96\"");
    let dot = if unseen {
        r##"<circle cx="800" cy="800" r="200" fill="#e53e3e" stroke="#ffffff" stroke-width="48"/>"##
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

    #[test]
    fn the_tray_mark_is_white_only_and_its_unseen_variant_adds_red() {
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
