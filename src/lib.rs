//! 萤火 Yinghuo: grassroots Party organizations and the governance they lead.

pub mod charts;
pub mod codes;

pub mod assessment;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod cadres;
pub mod centers;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod delegates;
pub mod demo;
pub mod disputes;
pub mod dues;
pub mod economy;
pub mod error;
pub mod files;
pub mod grids;
pub mod meetings;
pub mod members;
pub mod mobile;
pub mod orgs;
pub mod pairings;
pub mod points;
pub mod recruitment;
pub mod rectification;
pub mod requests;
pub mod service_ratings;
pub mod tallies;
pub mod training;
pub mod village_affairs;
pub mod volunteering;
pub mod web;
