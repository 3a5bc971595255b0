//! Synthesized call audio: a real 16-bit PCM WAV file whose tones follow the transcript's
//! speaker turns (a lower pitch for the agent, a higher one for the customer).

use crate::model::Segment;

pub const WAV_SAMPLE_RATE: u32 = 8_000;

/// Speaker turns covering `[0, duration_sec]`.
pub fn transcript_segments(duration_sec: f64, language: &str, seed: u64) -> Vec<Segment> {
    let lines = lines_for(language);
    let turns = ((duration_sec / 2.5).round() as usize).clamp(2, lines.len());
    let step = duration_sec / turns as f64;
    (0..turns)
        .map(|i| {
            let start = step * i as f64;
            let end = if i + 1 == turns { duration_sec } else { step * (i + 1) as f64 };
            let speaker = if i % 2 == 0 { "agent" } else { "customer" };
            // Agent and customer lines alternate in the list; the seed picks a variant.
            let text = lines[(i + 2 * (seed as usize % 2)) % lines.len()];
            Segment {
                speaker: speaker.into(),
                text: text.into(),
                start_sec: (start * 1000.0).round() / 1000.0,
                end_sec: (end * 1000.0).round() / 1000.0,
            }
        })
        .collect()
}

fn lines_for(language: &str) -> &'static [&'static str] {
    match language {
        "tr" => &[
            "Merhaba, Calleague destek hattına hoş geldiniz.",
            "Merhaba, siparişimin durumunu öğrenmek istiyorum.",
            "Tabii, sipariş numaranızı alabilir miyim?",
            "A-1042.",
            "Siparişiniz yarın teslim edilecek.",
            "Teşekkürler, iyi günler.",
        ],
        "de" => &[
            "Guten Tag, hier ist der Calleague-Assistent.",
            "Hallo, ich möchte meinen Termin verschieben.",
            "Gern, auf welchen Tag?",
            "Nächsten Dienstag, bitte.",
            "Erledigt, Sie bekommen eine Bestätigung.",
            "Danke, auf Wiederhören.",
        ],
        _ => &[
            "Hi, this is the Calleague assistant, how can I help?",
            "Hello, I'd like to check on my order.",
            "Sure, can I have your order number?",
            "It's A-1042.",
            "Thanks, it ships tomorrow morning.",
            "Great, thank you. Bye!",
        ],
    }
}

/// A mono 16-bit PCM WAV of `duration_sec`, with a tone per segment.
pub fn synthesize_wav(duration_sec: f64, segments: &[Segment]) -> Vec<u8> {
    let samples = (duration_sec * f64::from(WAV_SAMPLE_RATE)).round() as u32;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&WAV_SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(WAV_SAMPLE_RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..samples {
        let t = f64::from(n) / f64::from(WAV_SAMPLE_RATE);
        let segment = segments.iter().find(|s| t >= s.start_sec && t < s.end_sec);
        let pitch = match segment.map(|s| s.speaker.as_str()) {
            Some("agent") => 220.0,
            Some(_) => 330.0,
            None => 0.0,
        };
        // A soft tone with a syllable-like wobble, quiet at the turn edges.
        let envelope = segment.map_or(0.0, |s| {
            let edge = ((t - s.start_sec).min(s.end_sec - t) / 0.05).min(1.0);
            edge * (0.6 + 0.4 * (t * 6.0 * std::f64::consts::TAU).sin().abs())
        });
        let value = (pitch * t * std::f64::consts::TAU).sin() * envelope * 0.3;
        out.extend_from_slice(&((value * f64::from(i16::MAX)) as i16).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_recording() {
        let segments = transcript_segments(7.5, "en", 3);
        assert_eq!(segments.first().unwrap().start_sec, 0.0);
        assert_eq!(segments.last().unwrap().end_sec, 7.5);
        for pair in segments.windows(2) {
            assert_eq!(pair[0].end_sec, pair[1].start_sec);
            assert_ne!(pair[0].speaker, pair[1].speaker);
        }
    }

    #[test]
    fn wav_header_states_its_length() {
        let wav = synthesize_wav(2.0, &transcript_segments(2.0, "tr", 0));
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.len(), 44 + 2 * 16_000);
        assert!(wav[44..].iter().any(|b| *b != 0), "not silent");
    }
}
