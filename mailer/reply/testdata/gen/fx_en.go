package main
var fixturesEN []fixture
