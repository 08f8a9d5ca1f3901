//! Meeting other tools: GeoJSON for GIS (export and import of the network), per-drone
//! trajectories, and BlueSky scenarios of the planned flights.

pub mod bluesky;
pub mod geojson;
