//! The two container formats that hold PNG images: Windows' ICO and macOS' ICNS.

/// An ICO file: a directory of the images, each stored as PNG (Windows Vista and later).
pub fn ico(images: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0u16.to_le_bytes()); // reserved
    out.extend_from_slice(&1u16.to_le_bytes()); // 1: icon
    out.extend_from_slice(&(images.len() as u16).to_le_bytes());
    let mut offset = 6 + 16 * images.len();
    for (size, png) in images {
        // 0 means 256 in a one-byte size.
        let side = if *size >= 256 { 0 } else { *size as u8 };
        out.extend_from_slice(&[side, side, 0, 0]);
        out.extend_from_slice(&1u16.to_le_bytes()); // colour planes
        out.extend_from_slice(&32u16.to_le_bytes()); // bits per pixel
        out.extend_from_slice(&(png.len() as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += png.len();
    }
    for (_, png) in images {
        out.extend_from_slice(png);
    }
    out
}

/// An ICNS file with PNG entries, by the OSType of each size (macOS 10.7 and later).
pub fn icns(images: &[(u32, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    for (size, png) in images {
        let kind: &[u8; 4] = match size {
            16 => b"icp4",
            32 => b"icp5",
            64 => b"icp6",
            128 => b"ic07",
            256 => b"ic08",
            512 => b"ic09",
            1024 => b"ic10",
            other => return Err(format!("ICNS has no entry for {other} pixels")),
        };
        body.extend_from_slice(kind);
        body.extend_from_slice(&(8 + png.len() as u32).to_be_bytes());
        body.extend_from_slice(png);
    }
    let mut out = b"icns".to_vec();
    out.extend_from_slice(&(8 + body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ico_directory_points_at_each_image() {
        let file = ico(&[(16, vec![1, 2, 3]), (256, vec![4, 5])]);
        assert_eq!(&file[0..6], &[0, 0, 1, 0, 2, 0]);
        // Second entry: 256 written as 0, 2 bytes, after the header, two entries and 3 bytes.
        let second = &file[6 + 16..6 + 32];
        assert_eq!(second[0], 0);
        assert_eq!(u32::from_le_bytes(second[8..12].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(second[12..16].try_into().unwrap()), (6 + 32 + 3) as u32);
        assert_eq!(&file[6 + 32 + 3..], &[4, 5]);
    }

    #[test]
    fn icns_lengths_add_up_and_odd_sizes_are_refused() {
        let file = icns(&[(32, vec![9; 10]), (1024, vec![7; 4])]).unwrap();
        assert_eq!(&file[0..4], b"icns");
        assert_eq!(u32::from_be_bytes(file[4..8].try_into().unwrap()) as usize, file.len());
        assert_eq!(&file[8..12], b"icp5");
        assert_eq!(u32::from_be_bytes(file[12..16].try_into().unwrap()), 18);
        assert!(icns(&[(48, vec![])]).is_err());
    }
}
