//! Simulated vendor APIs (Thulium, CCP, DNL) on loopback.
