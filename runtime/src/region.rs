//! The regions ProjectMan serves and their endpoints.

use std::fmt;
use std::str::FromStr;

/// A Huawei Cloud region where the IPD project service is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// CN North-Beijing4.
    CnNorth4,
    /// CN North-Beijing1.
    CnNorth1,
    /// CN East-Shanghai2.
    CnEast2,
    /// CN South-Guangzhou.
    CnSouth1,
    /// CN Southwest-Guiyang1.
    CnSouthwest2,
    /// CN East-Shanghai1.
    CnEast3,
    /// AP-Singapore.
    ApSoutheast3,
    /// LA-Santiago.
    LaNorth2,
    /// LA-Sao Paulo1.
    SaBrazil1,
}

impl Region {
    /// Every region, in the official SDK's order.
    pub const ALL: [Region; 9] = [
        Region::CnNorth4,
        Region::CnNorth1,
        Region::CnEast2,
        Region::CnSouth1,
        Region::CnSouthwest2,
        Region::CnEast3,
        Region::ApSoutheast3,
        Region::LaNorth2,
        Region::SaBrazil1,
    ];

    /// The region ID, such as `cn-north-4`.
    pub fn id(self) -> &'static str {
        match self {
            Region::CnNorth4 => "cn-north-4",
            Region::CnNorth1 => "cn-north-1",
            Region::CnEast2 => "cn-east-2",
            Region::CnSouth1 => "cn-south-1",
            Region::CnSouthwest2 => "cn-southwest-2",
            Region::CnEast3 => "cn-east-3",
            Region::ApSoutheast3 => "ap-southeast-3",
            Region::LaNorth2 => "la-north-2",
            Region::SaBrazil1 => "sa-brazil-1",
        }
    }

    /// The environment variable that overrides this region's endpoint, as in
    /// the official SDKs: `HUAWEICLOUD_SDK_REGION_PROJECTMAN_CN_NORTH_4`.
    pub fn override_variable(self) -> String {
        format!(
            "HUAWEICLOUD_SDK_REGION_PROJECTMAN_{}",
            self.id().to_ascii_uppercase().replace('-', "_")
        )
    }

    /// The documented endpoint, `https://projectman-ext.<id>.myhuaweicloud.com`.
    pub fn default_endpoint(self) -> String {
        format!("https://projectman-ext.{}.myhuaweicloud.com", self.id())
    }

    /// The endpoint to use: the first of the override variable's
    /// comma-separated URLs if it is set, else the documented one.
    pub fn endpoint(self) -> String {
        self.endpoint_with(|name| std::env::var(name).ok())
    }

    fn endpoint_with(self, lookup: impl Fn(&str) -> Option<String>) -> String {
        lookup(&self.override_variable())
            .and_then(|v| {
                v.split(',')
                    .map(str::trim)
                    .find(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| self.default_endpoint())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A region ID this crate does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown region `{0}`; known regions: cn-north-4, cn-north-1, cn-east-2, cn-south-1, cn-southwest-2, cn-east-3, ap-southeast-3, la-north-2, sa-brazil-1"
)]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRegion(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_endpoints_follow_the_template() {
        for region in Region::ALL {
            assert_eq!(region.id().parse::<Region>().unwrap(), region);
            assert_eq!(
                region.default_endpoint(),
                format!("https://projectman-ext.{}.myhuaweicloud.com", region.id())
            );
        }
        assert_eq!(
            Region::CnNorth4.override_variable(),
            "HUAWEICLOUD_SDK_REGION_PROJECTMAN_CN_NORTH_4"
        );
        assert!("mars-1".parse::<Region>().is_err());
    }

    #[test]
    fn the_override_variable_replaces_the_endpoint() {
        let lookup = |name: &str| {
            (name == "HUAWEICLOUD_SDK_REGION_PROJECTMAN_CN_EAST_3")
                .then(|| " https://a.example, https://b.example".to_string())
        };
        assert_eq!(Region::CnEast3.endpoint_with(lookup), "https://a.example");
        assert_eq!(
            Region::CnNorth4.endpoint_with(lookup),
            "https://projectman-ext.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            Region::CnEast3.endpoint_with(|_| Some(" , ".into())),
            Region::CnEast3.default_endpoint()
        );
    }
}
