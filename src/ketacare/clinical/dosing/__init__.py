"""Dosing: protocols by route, weight-based and fixed-step doses, and session schedules."""
