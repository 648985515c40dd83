//! What the machine is: GPUs from `nvidia-smi` when it is installed, otherwise the CPU
//! and memory from `/proc`; what detection cannot know (country, bandwidth, supplier
//! group) comes from the configuration, which can also describe a simulated machine
//! (`profile`), so several agents on one box can stand for different hardware.

use std::process::Command;

use gpunet_sdk::registry::{self, DeviceSpecs};
use serde::{Deserialize, Serialize};

/// Configured hardware facts, each overriding what is detected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareOverrides {
    /// A simulated machine: `h100x8`, `a100x4`, `rtx4090x2`, `cpu` (see [`PROFILES`]).
    pub profile: Option<String>,
    pub gpu_model: Option<u16>,
    pub gpu_count: Option<u16>,
    pub vram_mib: Option<u32>,
    pub cpu_cores: Option<u16>,
    pub ram_mib: Option<u32>,
    pub down_mbps: Option<u32>,
    pub up_mbps: Option<u32>,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: Option<String>,
    pub region: Option<u16>,
    pub supplier_group: Option<u8>,
    pub security_tier: Option<u8>,
    pub green: Option<bool>,
}

/// The machine as detected or simulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hardware {
    /// Where the GPU facts come from: `nvidia-smi`, `cpu` (no GPU found) or `profile:<name>`.
    pub source: String,
    /// The GPU product name, when there is a GPU.
    pub gpu_name: Option<String>,
    /// Whether jobs run on GPUs (false: the CPU does the work).
    pub has_gpu: bool,
    pub specs: DeviceSpecs,
}

/// Simulated machines: (name, GPU model code, GPUs, VRAM per GPU in MiB, CPU cores, RAM
/// in MiB).
pub const PROFILES: &[(&str, u16, u16, u32, u16, u32)] = &[
    ("h100x8", 100, 8, 81_559, 192, 2_097_152),
    ("a100x4", 90, 4, 40_960, 64, 524_288),
    ("rtx4090x2", 40, 2, 24_564, 32, 131_072),
    ("cpu", 0, 1, 0, 8, 32_768),
];

/// A GPU as `nvidia-smi --query-gpu=name,memory.total` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gpu {
    pub name: String,
    pub memory_mib: u32,
}

/// Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits`.
pub fn parse_nvidia_smi(output: &str) -> Result<Vec<Gpu>, String> {
    let mut gpus = Vec::new();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, memory) = line
            .rsplit_once(',')
            .ok_or_else(|| format!("unexpected nvidia-smi line {line:?}"))?;
        let memory_mib = memory
            .trim()
            .parse()
            .map_err(|e| format!("nvidia-smi memory {memory:?}: {e}"))?;
        gpus.push(Gpu {
            name: name.trim().to_string(),
            memory_mib,
        });
    }
    Ok(gpus)
}

/// The GPUs `nvidia-smi` reports, `None` when it is not installed or finds none.
fn nvidia_gpus() -> Option<Vec<Gpu>> {
    let output = Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total",
            "--format=csv,noheader,nounits",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    parse_nvidia_smi(&String::from_utf8_lossy(&output.stdout))
        .ok()
        .filter(|gpus| !gpus.is_empty())
}

/// CPU cores and RAM (MiB) of this machine.
fn cpu_and_memory() -> (u16, u32) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ram_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    (
        u16::try_from(cores).unwrap_or(u16::MAX),
        u32::try_from(ram_kib / 1024).unwrap_or(u32::MAX),
    )
}

/// The machine: a configured profile, else `nvidia-smi`, else its CPU; then every
/// configured fact on top. The result is checked as the registry would.
pub fn detect(overrides: &HardwareOverrides) -> Result<Hardware, String> {
    let (cpu_cores, ram_mib) = cpu_and_memory();
    let mut hardware = match overrides.profile.as_deref() {
        Some(name) => {
            let &(_, gpu_model, gpu_count, vram_mib, cores, ram) =
                PROFILES.iter().find(|p| p.0 == name).ok_or_else(|| {
                    let known: Vec<&str> = PROFILES.iter().map(|p| p.0).collect();
                    format!(
                        "unknown hardware profile {name:?} (known: {})",
                        known.join(", ")
                    )
                })?;
            Hardware {
                source: format!("profile:{name}"),
                gpu_name: registry::gpu_model_name(gpu_model)
                    .filter(|_| gpu_model != 0)
                    .map(str::to_string),
                has_gpu: gpu_model != 0,
                specs: specs(gpu_model, gpu_count, vram_mib, cores, ram),
            }
        }
        None => match nvidia_gpus() {
            Some(gpus) => {
                let name = gpus[0].name.clone();
                Hardware {
                    source: "nvidia-smi".into(),
                    has_gpu: true,
                    specs: specs(
                        registry::gpu_model_code(&name).unwrap_or(0),
                        u16::try_from(gpus.len()).unwrap_or(u16::MAX),
                        gpus.iter().map(|g| g.memory_mib).min().unwrap_or(0),
                        cpu_cores,
                        ram_mib,
                    ),
                    gpu_name: Some(name),
                }
            }
            None => Hardware {
                source: "cpu".into(),
                gpu_name: None,
                has_gpu: false,
                specs: specs(0, 1, 0, cpu_cores, ram_mib),
            },
        },
    };
    apply(&mut hardware.specs, overrides)?;
    Ok(hardware)
}

fn specs(
    gpu_model: u16,
    gpu_count: u16,
    vram_mib: u32,
    cpu_cores: u16,
    ram_mib: u32,
) -> DeviceSpecs {
    DeviceSpecs {
        gpu_model,
        gpu_count,
        vram_mib,
        cpu_cores,
        ram_mib,
        bandwidth_down_mbps: 1_000,
        bandwidth_up_mbps: 1_000,
        country: *b"US",
        region: 0,
        supplier_group: 0,
        security_tier: 0,
        green: false,
    }
}

fn apply(specs: &mut DeviceSpecs, o: &HardwareOverrides) -> Result<(), String> {
    macro_rules! set {
        ($($from:ident => $to:ident),+) => { $(if let Some(v) = o.$from { specs.$to = v; })+ };
    }
    set!(gpu_model => gpu_model, gpu_count => gpu_count, vram_mib => vram_mib,
        cpu_cores => cpu_cores, ram_mib => ram_mib, down_mbps => bandwidth_down_mbps,
        up_mbps => bandwidth_up_mbps, region => region, supplier_group => supplier_group,
        security_tier => security_tier, green => green);
    if let Some(country) = &o.country {
        let bytes: [u8; 2] = country
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 2]| b.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                format!("country {country:?}: two upper-case letters (ISO 3166-1, e.g. DE)")
            })?;
        specs.country = bytes;
    }
    if specs.gpu_count == 0 || specs.gpu_count > 1024 {
        return Err(format!("gpu_count {}: must be 1..=1024", specs.gpu_count));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_smi_output_is_parsed_and_named() {
        let out = "NVIDIA H100 80GB HBM3, 81559\nNVIDIA H100 80GB HBM3, 81559\n\n";
        let gpus = parse_nvidia_smi(out).unwrap();
        assert_eq!(gpus.len(), 2);
        assert_eq!(gpus[0].memory_mib, 81_559);
        assert_eq!(registry::gpu_model_code(&gpus[0].name), Some(100));
        assert_eq!(
            registry::gpu_model_code("NVIDIA GeForce RTX 4090"),
            Some(40)
        );
        assert_eq!(registry::gpu_model_code("Some Future GPU"), None);
        assert!(parse_nvidia_smi("garbage line").is_err());
        assert!(parse_nvidia_smi("NVIDIA A100, lots").is_err());
    }

    #[test]
    fn a_profile_describes_the_machine_and_overrides_win() {
        let overrides = HardwareOverrides {
            profile: Some("a100x4".into()),
            country: Some("DE".into()),
            green: Some(true),
            down_mbps: Some(10_000),
            ..HardwareOverrides::default()
        };
        let hw = detect(&overrides).unwrap();
        assert_eq!(hw.source, "profile:a100x4");
        assert!(hw.has_gpu);
        assert_eq!(
            (hw.specs.gpu_model, hw.specs.gpu_count, hw.specs.vram_mib),
            (90, 4, 40_960)
        );
        assert_eq!(&hw.specs.country, b"DE");
        assert!(hw.specs.green);
        assert_eq!(hw.specs.bandwidth_down_mbps, 10_000);
    }

    #[test]
    fn without_a_gpu_the_cpu_is_the_device() {
        // This machine has no nvidia-smi; a CPU-only device reports its cores and memory.
        let hw = detect(&HardwareOverrides::default()).unwrap();
        if hw.source == "cpu" {
            assert!(!hw.has_gpu);
            assert_eq!((hw.specs.gpu_model, hw.specs.gpu_count), (0, 1));
            assert!(hw.specs.cpu_cores >= 1 && hw.specs.ram_mib > 0);
        }
    }

    #[test]
    fn bad_overrides_are_refused() {
        let bad_country = HardwareOverrides {
            country: Some("de".into()),
            ..HardwareOverrides::default()
        };
        assert!(detect(&bad_country).unwrap_err().contains("country"));
        let bad_profile = HardwareOverrides {
            profile: Some("h900".into()),
            ..HardwareOverrides::default()
        };
        assert!(detect(&bad_profile).unwrap_err().contains("h100x8"));
        let no_gpus = HardwareOverrides {
            gpu_count: Some(0),
            ..HardwareOverrides::default()
        };
        assert!(detect(&no_gpus).unwrap_err().contains("gpu_count"));
    }
}
