package main
var fixturesNL []fixture
