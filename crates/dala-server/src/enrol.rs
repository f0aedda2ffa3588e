//! A device's enrolment link as the manager shows it: a QR code the tablet's camera reads,
//! drawn as SVG so any browser shows it and it prints sharp.

use qrcode::QrCode;
use qrcode::render::svg;

/// The link as an SVG QR code (medium error correction: a screen photographed at an angle
/// still reads); None if the link is too long for a QR code.
pub fn qr_svg(link: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(link, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enrolment_link_becomes_an_svg_qr_code() {
        let svg = qr_svg("https://dala.example.org/enrol#project=1&token=abc").expect("a code");
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        // Far more than a QR code holds.
        assert_eq!(qr_svg(&"x".repeat(5000)), None);
    }
}
